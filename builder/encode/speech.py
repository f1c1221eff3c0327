"""A speech segment: what a cheap character needs to be drawn at air time, instead of video.

For engines that draw their frames faster than a stream plays them (the sprite character, ~2,800
frames/s on one core), encoding each answer frame with x264 on the worker and decoding it again on
the streamer pays for the video twice. A speech segment is the sentence's voice as a WAV (mono,
the voice's own rate) and a JSON sidecar with its phoneme timings and text; the streamer draws the
frames itself while it airs them, and the library's MP4 is made later, at low priority.
"""

from __future__ import annotations

import json
import wave
from dataclasses import asdict
from pathlib import Path

import numpy as np

from builder.lipsync.base import frame_count
from builder.media import MediaFormat
from builder.tts.base import PhonemeTiming, Speech

SIDECAR = ".json"


class SpeechFileError(ValueError):
    """A speech segment that cannot be read back (missing, damaged, or not ours)."""


def write_speech(speech: Speech, text: str, path: Path, fmt: MediaFormat) -> tuple[int, float]:
    """Write `path` (.wav) and its sidecar; returns (frames, seconds) the segment lasts on air."""
    n_frames = frame_count(speech.duration, fmt.fps)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(speech.sample_rate)
        out.writeframes(np.ascontiguousarray(speech.pcm, dtype="<i2").tobytes())
    sidecar = {"text": text, "n_frames": n_frames, "phonemes": [asdict(p) for p in speech.phonemes]}
    path.with_suffix(SIDECAR).write_text(json.dumps(sidecar), encoding="utf-8")
    return n_frames, n_frames / fmt.fps


def segment_files(path: Path, kind: str) -> list[Path]:
    """The files one segment is made of: a video segment's MP4, or a speech segment's WAV and sidecar."""
    return [path, path.with_suffix(SIDECAR)] if kind == "speech" else [path]


def read_speech(path: Path) -> tuple[Speech, str]:
    try:
        with wave.open(str(path), "rb") as source:
            if source.getnchannels() != 1 or source.getsampwidth() != 2:
                raise SpeechFileError(f"{path.name}: not 16-bit mono speech")
            pcm = np.frombuffer(source.readframes(source.getnframes()), dtype="<i2").astype(np.int16)
            rate = source.getframerate()
        sidecar = json.loads(path.with_suffix(SIDECAR).read_text(encoding="utf-8"))
        phonemes = [
            PhonemeTiming(str(p["phoneme"]), float(p["start"]), float(p["end"])) for p in sidecar["phonemes"]
        ]
    except (OSError, EOFError, wave.Error, ValueError, KeyError, TypeError) as exc:
        raise SpeechFileError(f"cannot read speech segment {path.name}: {exc}") from exc
    return Speech(pcm=pcm, sample_rate=rate, phonemes=phonemes), str(sidecar.get("text", ""))
