"""The RTMP server goes away mid-answer and comes back: the stream resumes, the answer with it."""

from __future__ import annotations

import time

import numpy as np
import pytest

from tests.builder.encode import media_checks as mc
from tests.streamer.conftest import SMALL
from tests.streamer.helpers import RtmpServer, free_port, make_clip, read_recording, streaming, tone

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

TAG = 77  # marks the clip's frames; each also carries its own number


def clip_codes(frames: list[np.ndarray]) -> list[int]:
    codes = [mc.read_code(frame) for frame in frames]
    return [index for index, tag in codes if tag == TAG]


def test_it_reconnects_within_five_seconds_and_the_clip_resumes_where_it_was_cut(persona, media_root, idle):
    port = free_port()
    first = RtmpServer(port, media_root / "first.flv")
    frames = (mc.frame(i, SMALL, TAG) for i in range(150))  # a 5 s answer
    clip = make_clip(persona, media_root, [(frames, tone(5.0, 440))], SMALL)
    with streaming(SMALL, first.url, idle) as streamer:
        assert _wait(lambda: streamer.now_playing is not None and streamer.now_playing["elapsed"] > 2.0, 10)
        # Cut once the first server has recorded more than a second of the answer (600 kb/s), not
        # merely once the streamer sent it: on a busy machine the recording lags behind.
        assert _wait(lambda: _size(first.out) > 80_000, 10), "the first server recorded nothing"
        first.kill()
        cut_at = time.monotonic()
        second = RtmpServer(port, media_root / "second.flv")
        assert _wait(lambda: _size(second.out) > 20_000, 5), "the stream did not come back within 5 s"
        resumed_after = time.monotonic() - cut_at
        assert _wait(lambda: streamer.now_playing is None, 10)  # the clip played to its end
        # Half a second of idle after it, counted in frames sent, so the clip's last frames are
        # through the encoder before the stop.
        ended = streamer.frame
        assert _wait(lambda: streamer.frame >= ended + SMALL.fps // 2, 10)
        reconnects = streamer.reconnects
    second.finish()

    assert resumed_after < 5 and reconnects == 1
    before = clip_codes(read_recording(first.out).frames)
    after = clip_codes(read_recording(second.out).frames)
    assert before[:5] == [0, 1, 2, 3, 4]
    # Resumed, not restarted: the new connection carries on with the clip's later frames, in order
    # and to the end. Frames in flight when the connection dropped are lost with it.
    assert after[0] > before[-1] > 30
    assert after == list(range(after[0], 150))
    clip.refresh_from_db()
    assert clip.aired_count == 1


def _size(path) -> int:
    return path.stat().st_size if path.exists() else 0


def _wait(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False
