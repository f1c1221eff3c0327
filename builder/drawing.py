"""Drawing a sentence of an answer: the character's frames with the broadcast graphics, and its
voice at the stream's rate. One function for the three places that draw answers: the worker (video
segments, for engines too slow to draw live), the streamer (speech segments, drawn at air time),
and the library's MP4 (drawn later, at low priority)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import av
import numpy as np

from builder.lipsync.base import LipSyncEngine, frame_count
from builder.media import MediaFormat
from builder.overlay import Overlay, caption, question_banner, with_overlays
from builder.tts.base import Speech


@dataclass(frozen=True)
class Graphics:
    """Broadcast graphics burned into answers (settings CLIP_QUESTION_BANNER, CLIP_CAPTIONS)."""

    question_banner: bool = True
    captions: bool = False


def clip_overlays(graphics: Graphics, viewer: str, question: str, fmt: MediaFormat) -> list[Overlay]:
    """What every frame of one clip carries (drawn once per clip)."""
    if graphics.question_banner and question:
        return [question_banner(viewer or "viewer", question, fmt)]
    return []


def sentence_frames(
    lipsync: LipSyncEngine,
    speech: Speech,
    text: str,
    start_frame: int,
    banner: list[Overlay],
    graphics: Graphics,
) -> Iterator[np.ndarray]:
    """Exactly `frame_count(speech.duration, fps)` frames of the character saying `speech`."""
    frames = lipsync.render(speech, start_frame=start_frame)
    overlays = banner + ([caption(text, lipsync.fmt)] if graphics.captions else [])
    return with_overlays(frames, overlays) if overlays else frames


def stream_audio(speech: Speech, fmt: MediaFormat) -> np.ndarray:
    """The voice as the stream plays it: int16 at fmt.sample_rate, fmt.channels columns, lasting
    exactly as long as its frames (padded with silence or cut)."""
    layout = "stereo" if fmt.channels == 2 else "mono"
    resampler = av.AudioResampler(format="s16", layout=layout, rate=fmt.sample_rate)
    source = av.AudioFrame.from_ndarray(
        speech.pcm.reshape(1, -1).astype(np.int16), format="s16", layout="mono"
    )
    source.sample_rate = speech.sample_rate
    parts = [f.to_ndarray().reshape(-1, fmt.channels) for f in resampler.resample(source)]
    parts += [f.to_ndarray().reshape(-1, fmt.channels) for f in resampler.resample(None)]
    pcm = np.concatenate(parts) if parts else np.zeros((0, fmt.channels), np.int16)
    want = round(frame_count(speech.duration, fmt.fps) * fmt.sample_rate / fmt.fps)
    if len(pcm) < want:
        pcm = np.concatenate([pcm, np.zeros((want - len(pcm), fmt.channels), np.int16)])
    return pcm[:want].astype(np.int16)
