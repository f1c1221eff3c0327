"""What every lip-sync engine is: speech in, video frames of the character saying it out.

Frames are numpy arrays, height x width x 3, uint8, RGB, at the engine's `MediaFormat.fps`.

Frame numbers are absolute: frame `f` of the character's idle motion (breathing, sway, blinks)
always looks the same, whether it is part of the idle loop or of an answer. A caller that plays
the idle loop up to frame `f` and then cuts to an answer rendered with `start_frame=f` (and back
to `idle_frames(..., start=f + n)`) gets no jump at either cut.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Iterator

import numpy as np

from builder.media import MediaFormat
from builder.tts.base import Speech


class LipSyncError(Exception):
    """The engine could not animate the speech; the message says why."""


def frame_count(duration: float, fps: int) -> int:
    """Frames that cover `duration` seconds: ceil(duration x fps).

    The video is never shorter than the audio and at most one frame (1/fps s) longer; the last
    frame holds the closed mouth while the audio ends. A tolerance of 1 µs keeps a duration that
    is an exact number of frames (2.0 s at 30 fps = 60 frames) from gaining a frame through
    floating-point error.
    """
    return max(0, math.ceil(duration * fps - 1e-6))


class LipSyncEngine(ABC):
    name: str = ""
    # True for an engine that draws frames far faster than a stream plays them: its answers travel
    # as speech and the streamer draws them at air time (builder/encode/speech.py).
    draws_live: bool = False

    def __init__(self, fmt: MediaFormat) -> None:
        self.fmt = fmt

    @property
    @abstractmethod
    def loop_frames(self) -> int:
        """Length of the idle loop: `idle_frames(loop_frames)` played again and again is seamless."""

    @abstractmethod
    def idle_frames(self, n: int, start: int = 0) -> Iterator[np.ndarray]:
        """`n` frames of the character listening (mouth closed), from absolute frame `start`."""

    @abstractmethod
    def render(self, speech: Speech, start_frame: int = 0) -> Iterator[np.ndarray]:
        """Exactly `frame_count(speech.duration, fmt.fps)` frames of the character speaking.

        `start_frame` is the absolute frame the answer begins on, so the idle motion carries on
        across the cut from the idle loop.
        """

    def idle_loop(self, n_frames: int | None = None) -> Iterator[np.ndarray]:
        """One idle loop of `n_frames` (default `loop_frames`), seamless when repeated end to end.

        An engine whose motion cannot be fitted to another length may ignore `n_frames` only by
        raising LipSyncError, never by returning a loop that jumps at the wrap.
        """
        if n_frames not in (None, self.loop_frames):
            raise LipSyncError(f"{self.name} loops only over {self.loop_frames} frames")
        return self.idle_frames(self.loop_frames, 0)
