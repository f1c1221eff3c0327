"""Real-time pacing and the audio that belongs to each frame.

Frame n is due at t0 + n / fps on the monotonic clock; timestamps in the stream come from the
frame counter alone (ffmpeg numbers the raw frames), so pacing decides only *when* a frame is
written, never *which* timestamp it gets. A late frame is written at once (catch-up), and the lag
is reported as "frames behind". A lag too long to catch up (the machine was suspended, the encoder
restarted) re-anchors the clock instead of bursting seconds of frames into the encoder.
"""

from __future__ import annotations

import collections
import time
from collections.abc import Callable


def samples_for_frame(n: int, sample_rate: int, fps: int) -> int:
    """Audio samples that go with frame n: the fractions add up, so n frames carry exactly
    floor(n x sample_rate / fps) samples (1600 every frame at 48 kHz / 30 fps; 1601 or 1602 at 29)."""
    return (n + 1) * sample_rate // fps - n * sample_rate // fps


class Pacer:
    def __init__(
        self,
        fps: int,
        *,
        max_lag: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.fps = fps
        self.max_lag = max_lag
        self._clock, self._sleep = clock, sleep
        self._t0 = clock()
        self._n = 0
        self.frames_behind = 0
        self.resyncs = 0
        self._recent: collections.deque[float] = collections.deque(maxlen=2 * fps)

    def restart(self, frame: int) -> None:
        """Anchor the clock so that `frame` is due now (after an encoder restart)."""
        self._n = frame
        self._t0 = self._clock() - frame / self.fps

    def wait(self, frame: int) -> None:
        """Block until `frame` is due; return at once if it is already late."""
        now = self._clock()
        due = self._t0 + frame / self.fps
        if due > now:
            self._sleep(due - now)
            now = due
        lag = now - due
        if lag > self.max_lag:
            self.resyncs += 1
            self.restart(frame)
            lag = 0.0
        self.frames_behind = int(lag * self.fps + 1e-6)
        self._n = frame
        self._recent.append(now)

    @property
    def achieved_fps(self) -> float:
        """Frames per second over the last two seconds or so."""
        if len(self._recent) < 2:
            return 0.0
        span = self._recent[-1] - self._recent[0]
        return (len(self._recent) - 1) / span if span > 0 else 0.0
