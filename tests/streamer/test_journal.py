"""Airing reports the database could not take survive the streamer's stop: journaled, replayed by
the next streamer before it airs anything, counted once. A stale "on air" is cleared at start."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from django.db import connection
from django.utils import timezone

from aijesus.studio.models import Clip
from streamer import control
from streamer.outputs import Outputs
from streamer.reports import AIRED, STARTED, Journal
from streamer.runner import Streamer
from tests.database_outage import unreachable_database
from tests.streamer.conftest import SMALL
from tests.streamer.helpers import make_clip, solid, tone

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True), pytest.mark.timeout(300)]


class Recorder(Streamer):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.airings: list[int] = []

    def _air(self, plan, stop) -> None:
        super()._air(plan, stop)
        self.airings.append(plan.pk)


def start(streamer: Streamer) -> Callable[[], None]:
    """The streamer on a thread; returns what stops it (and waits for it to end)."""
    stop = threading.Event()
    thread = threading.Thread(target=streamer.run, args=(stop,), name="streamer-under-test")
    thread.start()

    def stopped() -> None:
        stop.set()
        thread.join(30)
        assert not thread.is_alive()

    return stopped


def wait(condition, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@pytest.fixture
def fresh_connections():
    """Every new connection of the streamer's threads is made anew each round (SQLite's setting
    already), so a database that goes away is seen at once on PostgreSQL too."""
    saved = connection.settings_dict["CONN_MAX_AGE"]
    connection.settings_dict["CONN_MAX_AGE"] = 0
    yield
    connection.settings_dict["CONN_MAX_AGE"] = saved


def test_reports_owed_while_the_database_is_away_survive_a_stop_and_count_once(
    idle, persona, media_root, tmp_path, fresh_connections
):
    clip = make_clip(persona, media_root, [(solid((200, 40, 40), 30, SMALL), tone(1.0, 440))], SMALL)
    stale = make_clip(persona, media_root, [(solid((30, 60, 220), 30, SMALL), tone(1.0, 660))], SMALL)
    # Aired once already, and marked on air by a streamer that was killed during its re-air.
    Clip.objects.filter(pk=stale.pk).update(aired_count=1, on_air_since=timezone.now())
    outputs = Outputs(preview_dir=media_root / "preview")
    first = Recorder(SMALL, outputs, idle, fade_frames=0)
    first.paused = True
    stop_first = start(first)
    try:
        wait(lambda: Clip.objects.get(pk=stale.pk).on_air_since is None, "the stale 'on air' to be cleared")
        wait(lambda: first.playout._next is not None, "the clip to be picked, ready in memory")
        with unreachable_database(tmp_path):
            first.paused = False
            wait(lambda: first.airings == [clip.pk], "the clip to air while the database is away")
            stopping = time.monotonic()
            stop_first()  # the database still away: its reports cannot be written
            assert time.monotonic() - stopping < 15  # it did not hang on the database to stop
    finally:
        stop_first()
    owed = Journal(control.redis_client()).load()
    assert [(r.kind, r.clip) for r in owed] == [(STARTED, clip.pk), (AIRED, clip.pk)]
    assert Clip.objects.get(pk=clip.pk).aired_count == 0

    second = Recorder(SMALL, outputs, idle, fade_frames=0)
    stop_second = start(second)
    try:
        wait(lambda: Clip.objects.get(pk=clip.pk).aired_count == 1, "the journaled airing to be counted")
    finally:
        stop_second()
    aired = Clip.objects.get(pk=clip.pk)
    assert aired.aired_count == 1 and aired.first_aired_at is not None and aired.on_air_since is None
    assert second.airings == []  # counted from the journal: never aired a second time
    assert Journal(control.redis_client()).load() == []
