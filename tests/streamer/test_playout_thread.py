"""The frame loop never waits on the database, and a long broadcast is renewed between answers."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections

from aijesus.studio.models import Clip
from streamer.outputs import Outputs
from streamer.runner import Streamer
from tests.streamer.conftest import SMALL
from tests.streamer.helpers import make_clip, solid, tone

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True), pytest.mark.timeout(300)]

GREEN = (40, 200, 60)


class Recorder(Streamer):
    """The real runner and encoder; it notes the frame numbers of airings and session renewals."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.airings: list[tuple[int, int]] = []
        self.renewals: list[int] = []

    def _air(self, plan, stop) -> None:
        first = self.frame
        super()._air(plan, stop)
        self.airings.append((first, self.frame))

    def _rotate_if_due(self) -> None:
        before = self.rotations
        super()._rotate_if_due()
        if self.rotations > before:
            self.renewals.append(self.frame)


def run(streamer: Streamer) -> tuple[threading.Event, threading.Thread]:
    stop = threading.Event()
    thread = threading.Thread(target=streamer.run, args=(stop,), name="streamer-under-test")
    thread.start()
    return stop, thread


def frames_within(streamer: Streamer, seconds: float) -> int:
    first = streamer.frame
    time.sleep(seconds)  # a window to count frames in; nothing depends on what happens inside
    return streamer.frame - first


def wait(condition, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_the_frame_loop_keeps_its_rate_while_the_database_is_locked(idle, persona, media_root):
    streamer = Recorder(
        SMALL, Outputs(rtmp_url=None, stream_key="", preview_dir=media_root / "preview"), idle
    )
    stop, thread = run(streamer)
    locker = connections.create_connection("default")
    try:
        wait(lambda: streamer.frame > SMALL.fps)  # on air
        unlocked = frames_within(streamer, 5.0)
        clip = make_clip(persona, media_root, [(solid(GREEN, 60, SMALL), tone(2.0, 500))], SMALL)
        with locker.cursor() as cursor:
            # The whole database held: on PostgreSQL nobody may even read the clips; on SQLite
            # (readers go on in WAL mode) nobody may write, so the airing cannot be recorded.
            if connection.vendor == "postgresql":
                cursor.execute("BEGIN")
                cursor.execute("LOCK TABLE studio_clip, studio_segment IN ACCESS EXCLUSIVE MODE")
            else:
                cursor.execute("BEGIN IMMEDIATE")
                cursor.execute("UPDATE studio_clip SET updated_at = updated_at")
            locked = frames_within(streamer, 5.0)
            cursor.execute("COMMIT")
        wait(lambda: Clip.objects.get(pk=clip.pk).aired_count == 1)
    finally:
        locker.close()
        stop.set()
        thread.join(30)
    # Side by side in one run: a locked database costs the stream no frames.
    assert locked >= 0.85 * unlocked, (locked, unlocked)
    assert streamer.airings and streamer.underruns == 0


def test_a_long_broadcast_is_renewed_between_answers_never_during_one(idle, persona, media_root):
    streamer = Recorder(
        SMALL, Outputs(rtmp_url=None, stream_key="", preview_dir=media_root / "preview"), idle
    )
    streamer.session_seconds = 1.0  # STREAM_SESSION_HOURS, shortened: Twitch's is 48 h
    stop, thread = run(streamer)
    try:
        clip = make_clip(persona, media_root, [(solid(GREEN, 90, SMALL), tone(3.0, 500))], SMALL)
        wait(lambda: Clip.objects.get(pk=clip.pk).aired_count == 1)
        wait(lambda: streamer.renewals and streamer.renewals[-1] > streamer.airings[0][1])
    finally:
        stop.set()
        thread.join(30)
    ((start, end),) = streamer.airings
    assert end - start == 90  # the 3 s answer aired whole, longer than a session
    assert streamer.renewals and not any(start < frame < end for frame in streamer.renewals)
    assert streamer.reconnects == 0 and streamer.rotations == len(streamer.renewals)
