"""Mouth timings from the audio itself, for voices that give no phoneme timings (Coqui, OpenAI).

Every 10 ms a 20 ms window of the audio is classed by loudness and spectral shape into one of a
few pseudo-phonemes. They are written as IPA letters on purpose: the lip-sync stage maps them to
mouth shapes exactly as it maps real phonemes (see `builder/lipsync/visemes.py`).

- ""  silence: more than 40 dB under the loudest part, or under -60 dBFS (mouth at rest)
- "s" hiss: noise-like (many zero crossings) or bright (high spectral centroid), as in s, f, ʃ, t
      (teeth together, lips apart)
- "m" quiet voicing: 20-40 dB under the loudest part and not hissing, as in m, n and soft endings
      (lips nearly closed)
- "o" dark vowel: spectral centroid under 900 Hz, as in o, u (rounded)
- "a" open vowel: centroid 900-1800 Hz, as in a (jaw open)
- "i" bright vowel: centroid over 1800 Hz, as in e, i (lips spread)

Runs of one class are merged, and a run shorter than 40 ms is folded into its neighbour (the
longer of the two names the result), so the mouth never flickers. The runs are consecutive and
cover the audio from 0 to its end exactly.
"""

from __future__ import annotations

import numpy as np

from builder.tts.base import PhonemeTiming

HOP = 0.010  # seconds between frames
WINDOW = 0.020  # seconds of audio per frame
MIN_SEGMENT = 0.040  # shortest run kept; a 25-30 fps video cannot show anything shorter anyway
SILENCE_DB = -40.0  # under the loudest frame
FLOOR_DBFS = -60.0  # absolute silence, whatever the loudest frame
QUIET_DB = -20.0  # under the loudest frame: voicing with a nearly closed mouth
HISS_ZCR = 0.3  # zero crossings per sample; voiced speech stays well under, noise near 0.5
HISS_CENTROID = 3500.0  # Hz
DARK_CENTROID = 900.0  # Hz
OPEN_CENTROID = 1800.0  # Hz

LABELS = {
    "": "silence (mouth at rest)",
    "s": "hiss (teeth together)",
    "m": "quiet voicing (lips nearly closed)",
    "o": "dark vowel (rounded)",
    "a": "open vowel (jaw open)",
    "i": "bright vowel (lips spread)",
}


def _frames(signal: np.ndarray, sample_rate: int) -> np.ndarray:
    """Windowed frames, one per hop; the last ones are zero-padded past the end."""
    hop, window = max(1, round(HOP * sample_rate)), max(2, round(WINDOW * sample_rate))
    count = max(1, -(-len(signal) // hop))
    padded = np.pad(signal, (0, count * hop + window - len(signal)))
    frames = np.lib.stride_tricks.sliding_window_view(padded, window)[::hop][:count]
    return frames * np.hanning(window)


def classify(pcm: np.ndarray, sample_rate: int) -> list[str]:
    """One pseudo-phoneme (see `LABELS`) per 10 ms hop, starting at 0."""
    signal = np.asarray(pcm, dtype=np.float32).reshape(-1) / 32768.0
    frames = _frames(signal, sample_rate)
    energy = np.mean(frames**2, axis=1)
    db = 10 * np.log10(energy + 1e-12)
    # The reference is the loudest 30 ms, not the loudest frame, so one click cannot set it.
    loudest = float(10 * np.log10(np.convolve(energy, np.ones(3) / 3, mode="same").max() + 1e-12))
    spectrum = np.abs(np.fft.rfft(frames, axis=1))
    freqs = np.fft.rfftfreq(frames.shape[1], 1 / sample_rate)
    centroid = spectrum @ freqs / (spectrum.sum(axis=1) + 1e-12)
    # Counted on the middle half: the window tapers the edges to exactly 0, which has no sign.
    signs = np.signbit(frames[:, frames.shape[1] // 4 : -frames.shape[1] // 4])
    zcr = np.mean(signs[:, 1:] != signs[:, :-1], axis=1)

    labels = np.full(len(frames), "i", dtype=object)
    labels[centroid < OPEN_CENTROID] = "a"
    labels[centroid < DARK_CENTROID] = "o"
    labels[db < loudest + QUIET_DB] = "m"
    labels[(zcr > HISS_ZCR) | (centroid > HISS_CENTROID)] = "s"
    labels[(db < loudest + SILENCE_DB) | (db < FLOOR_DBFS)] = ""
    return labels.tolist()


def _runs(labels: list[str], duration: float) -> list[list]:
    """[label, start, end] for each run of equal labels, clipped to the audio's duration."""
    runs: list[list] = []
    for i, label in enumerate(labels):
        start = i * HOP
        if start >= duration:
            break
        end = min((i + 1) * HOP, duration)
        if runs and runs[-1][0] == label:
            runs[-1][2] = end
        else:
            runs.append([label, start, end])
    return runs


def _fold_short(runs: list[list]) -> list[list]:
    """Merge runs shorter than MIN_SEGMENT into a neighbour, left to right.

    Only the last run kept can be short while the loop runs: a short run joins the one before it,
    and a run after a short one joins it. The longer of the two parts names the merged run.
    """
    merged: list[list] = []
    for label, start, end in runs:
        previous = merged[-1] if merged else None
        if previous is None or (
            previous[0] != label and end - start >= MIN_SEGMENT and previous[2] - previous[1] >= MIN_SEGMENT
        ):
            merged.append([label, start, end])
            continue
        if end - start > previous[2] - previous[1]:
            previous[0] = label
        previous[2] = end
        # Renaming can make it match the run before: one run then, not two.
        if len(merged) > 1 and merged[-2][0] == previous[0]:
            merged[-2][2] = previous[2]
            merged.pop()
    if len(merged) > 1 and merged[-1][2] - merged[-1][1] < MIN_SEGMENT:
        last = merged.pop()
        if last[2] - last[1] > merged[-1][2] - merged[-1][1]:
            merged[-1][0] = last[0]
        merged[-1][2] = last[2]
    return merged


def phoneme_timings(pcm: np.ndarray, sample_rate: int) -> list[PhonemeTiming]:
    """Pseudo-phoneme timings (see `LABELS`) covering the audio from 0 to its duration."""
    duration = len(pcm) / sample_rate
    if len(pcm) == 0:
        return []
    merged = _fold_short(_runs(classify(pcm, sample_rate), duration))
    merged[0][1], merged[-1][2] = 0.0, duration
    return [PhonemeTiming(label, start, end) for label, start, end in merged]
