"""Mouth timings from the audio itself, for voices that give no phoneme timings (Coqui, OpenAI).

Every 10 ms the audio is classed by loudness and spectral shape into a few pseudo-phonemes that
the lip-sync stage maps to mouth shapes like real ones:

- ""  silence (mouth at rest)
- "m" quiet voicing (lips nearly closed: nasals, soft endings)
- "s" hissing noise (fricatives: teeth together)
- "o" dark vowel (low spectral centroid: o, u)
- "a" open vowel (a)
- "i" bright vowel (high centroid: e, i)

Runs of the same class are merged and none is shorter than 40 ms (shorter ones join the
previous run), so the mouth never flickers. The runs cover the audio from 0 to its end exactly.
"""

from __future__ import annotations

import numpy as np

from builder.tts.base import PhonemeTiming

HOP = 0.010
WINDOW = 0.020
MIN_SEGMENT = 0.040
SILENCE_DB = -35.0  # below the loudest frame
QUIET_DB = -20.0


def _frames(signal: np.ndarray, sample_rate: int) -> np.ndarray:
    hop, window = max(1, int(HOP * sample_rate)), max(2, int(WINDOW * sample_rate))
    n = max(1, int(np.ceil(len(signal) / hop)))
    padded = np.pad(signal, (0, n * hop + window - len(signal)))
    index = np.arange(window)[None, :] + hop * np.arange(n)[:, None]
    return padded[index] * np.hanning(window)[None, :]


def classify(pcm: np.ndarray, sample_rate: int) -> list[str]:
    """One pseudo-phoneme per 10 ms hop."""
    signal = pcm.astype(np.float32) / 32768.0
    frames = _frames(signal, sample_rate)
    rms = np.sqrt(np.mean(frames**2, axis=1)) + 1e-9
    db = 20 * np.log10(rms)
    loudest = float(db.max())
    spectrum = np.abs(np.fft.rfft(frames, axis=1))
    freqs = np.fft.rfftfreq(frames.shape[1], 1 / sample_rate)
    centroid = (spectrum * freqs).sum(axis=1) / (spectrum.sum(axis=1) + 1e-9)
    crossings = np.mean(np.abs(np.diff(np.sign(frames), axis=1)) > 0, axis=1)
    labels = []
    for level, bright, zcr in zip(db, centroid, crossings, strict=True):
        if level < loudest + SILENCE_DB or level < -60:
            labels.append("")
        elif bright > 3500 or zcr > 0.35:
            labels.append("s")
        elif level < loudest + QUIET_DB:
            labels.append("m")
        elif bright < 900:
            labels.append("o")
        elif bright < 1700:
            labels.append("a")
        else:
            labels.append("i")
    return labels


def phoneme_timings(pcm: np.ndarray, sample_rate: int) -> list[PhonemeTiming]:
    duration = len(pcm) / sample_rate
    if len(pcm) == 0:
        return []
    runs: list[list] = []  # [label, start, end]
    for i, label in enumerate(classify(pcm, sample_rate)):
        start, end = i * HOP, min((i + 1) * HOP, duration)
        if start >= duration:
            break
        if runs and runs[-1][0] == label:
            runs[-1][2] = end
        else:
            runs.append([label, start, end])
    merged: list[list] = []
    for run in runs:
        if merged and (run[2] - run[1] < MIN_SEGMENT or merged[-1][2] - merged[-1][1] < MIN_SEGMENT):
            # Too short to show: the longer neighbour keeps the time.
            keep = merged[-1] if merged[-1][2] - merged[-1][1] >= run[2] - run[1] else run
            merged[-1] = [keep[0], merged[-1][1], run[2]]
            if len(merged) > 1 and merged[-2][0] == merged[-1][0]:
                last = merged.pop()
                merged[-1][2] = last[2]
        else:
            merged.append(list(run))
    merged[-1][2] = duration
    return [PhonemeTiming(label, start, end) for label, start, end in merged]
