"""The cuts between the idle loop and an answer: a short dissolve in, a seamless return."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from streamer.outputs import Outputs
from streamer.runner import Streamer, crossfade
from tests.streamer.conftest import SMALL
from tests.streamer.helpers import make_clip, solid, tone

BLUE = (30, 60, 220)

pytestmark = pytest.mark.django_db


class CapturingStreamer(Streamer):
    """The real runner, with the frames it would send to the encoder kept in a list instead."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.sent: list[np.ndarray] = []

    def _emit(self, frame: np.ndarray, pcm: bytes, stop: threading.Event) -> None:
        self.sent.append(frame.copy())
        self.frame += 1


def test_crossfade_mixes_in_proportion():
    a, b = np.zeros((2, 2, 3), np.uint8), np.full((2, 2, 3), 200, np.uint8)
    assert crossfade(a, b, 0.0).max() == 0 and crossfade(a, b, 1.0).min() == 200
    assert int(crossfade(a, b, 0.25)[0, 0, 0]) == 50
    assert crossfade(a, b, 0.5).dtype == np.uint8


def test_a_clip_dissolves_in_and_the_idle_loop_resumes_from_its_last_pose(idle, persona, media_root):
    clip = make_clip(persona, media_root, [(solid(BLUE, 30, SMALL), tone(1.0, 660))], SMALL)
    streamer = CapturingStreamer(
        SMALL, Outputs(rtmp_url=None, stream_key="", preview_dir=media_root / "preview"), idle
    )
    assert streamer.lease.try_acquire()  # what run() does first: reports are written by the broadcaster
    stop = threading.Event()
    streamer._play_idle(17, stop)  # the idle loop is somewhere in its motion
    streamer.playout.round_now()  # the playout thread's work, here, inside this test's transaction
    plan = streamer.playout.next_clip()
    assert plan is not None and plan.pk == clip.pk
    streamer.playout.round_now()  # its segments
    streamer._air(plan, stop)
    streamer._play_idle(3, stop)
    streamer.playout.round_now()  # the airing reported
    clip.refresh_from_db()
    assert clip.aired_count == 1 and clip.first_aired_at is not None
    fade = streamer._fade
    assert fade == SMALL.fps // 4
    sent = streamer.sent
    clip_frames = sent[17 : 17 + 30]
    assert len(clip_frames) == 30
    blue = np.array(BLUE, float)
    distance = [np.abs(f.reshape(-1, 3).mean(axis=0) - blue).max() for f in clip_frames]
    # The first frames move steadily from the idle picture to the clip, then it is the clip.
    assert all(distance[i + 1] < distance[i] for i in range(fade))
    assert distance[0] > 40 and max(distance[fade:]) < 10
    # Back to idle: pose 30 of the character, the one after the clip's last (pose 29).
    after = sent[17 + 30]
    expected = next(idle.engine.idle_frames(1, 30))
    assert np.array_equal(after, expected)
    assert streamer.idle_offset == 17
    streamer.publisher.close(streamer.state())


def test_the_idle_loop_uses_the_engine_the_builder_picks_for_the_active_persona(persona, media_root):
    from builder.engines import lipsync_for, media_format, with_defaults
    from streamer.config import idle_source

    source = idle_source(media_format())
    engine, _ = lipsync_for(with_defaults(persona.snapshot()))
    assert source.engine is engine  # one cached engine: the same character on air and in clips
