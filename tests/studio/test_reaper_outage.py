"""The reaper is not fooled by an outage of its own: a heartbeat is judged only once the reaper has
reached the database for one whole heartbeat window, and a rebuild takes a build only if its
heartbeat is still silent when the UPDATE runs.

The database goes away for real here (tests/database_outage.py): the scheduler's connection looks
for it where none answers. Time is the scheduler's own clock, which the tests move by hand.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from aijesus.celery import app
from aijesus.studio import lifecycle
from aijesus.studio.beat import ReapingScheduler
from aijesus.studio.models import Clip
from aijesus.studio.services import question_approve, question_submit
from tests.database_outage import unreachable_database

# Outside a transaction: a lost database closes the connection, which a test transaction forbids.
pytestmark = pytest.mark.django_db(transaction=True)


class Clock:
    """The reaper's monotonic clock, moved by the test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def sent(monkeypatch) -> list[int]:
    """Build tasks sent (the broker is not what these tests are about)."""
    ids: list[int] = []
    monkeypatch.setattr("builder.tasks.build_clip.apply_async", lambda args, **_: ids.append(args[0]))
    return ids


@pytest.fixture
def scheduler(tmp_path, sent) -> ReapingScheduler:
    scheduler = ReapingScheduler(app=app, lazy=True, schedule_filename=str(tmp_path / "beat-schedule"))
    scheduler.reaper.clock = Clock()
    return scheduler


def building(persona, worker: str, *, silent_for: float) -> Clip:
    """A clip being built by `worker`, whose last heartbeat is `silent_for` seconds old."""
    clip = question_approve(question=question_submit(text="Who are you?", viewer_name="carol"))
    assert lifecycle.claim(clip_id=clip.pk, worker=worker) is not None
    Clip.objects.filter(pk=clip.pk).update(heartbeat_at=timezone.now() - timedelta(seconds=silent_for))
    return clip


def state(clip: Clip) -> tuple[str, int]:
    clip.refresh_from_db()
    return clip.status, clip.attempt


def rounds(scheduler: ReapingScheduler, seconds: float, settings) -> None:
    """Reap rounds every BUILD_REAP_SECONDS, as the scheduler runs them, for `seconds`."""
    clock = scheduler.reaper.clock
    end = clock.now + seconds
    while clock.now + settings.BUILD_REAP_SECONDS <= end:
        clock.now += settings.BUILD_REAP_SECONDS
        scheduler.reap()


def test_after_an_outage_the_reaper_waits_one_window_of_reachable_database_before_judging(
    persona, scheduler, settings, tmp_path
):
    window = settings.BUILD_STALE_SECONDS
    rounds(scheduler, window + settings.BUILD_REAP_SECONDS, settings)  # watching for a while already
    # Through the outage no worker could beat: every heartbeat is older than the window.
    live = building(persona, "host:1", silent_for=window + 5)
    dead = building(persona, "host:2", silent_for=window + 5)
    with unreachable_database(tmp_path):
        scheduler.reaper.clock.now += settings.BUILD_REAP_SECONDS
        assert scheduler.reap() is None  # could not reach it: judged nothing, and remembers that

    scheduler.reaper.clock.now += settings.BUILD_REAP_SECONDS
    scheduler.reap()  # the database is back: the first round must not take the live build away
    assert state(live) == ("building", 1) and state(dead) == ("building", 1)

    lifecycle.heartbeat(clip_id=live.pk, attempt=1)  # its worker reconnects and beats again
    rounds(scheduler, window - settings.BUILD_REAP_SECONDS, settings)
    assert state(dead) == ("building", 1)  # still within the window
    rounds(scheduler, 2 * settings.BUILD_REAP_SECONDS, settings)
    assert state(dead) == ("queued", 1)  # silent for a whole window of reachable database
    assert state(live) == ("building", 1)


def test_a_scheduler_that_just_started_judges_no_heartbeat_before_one_window(persona, scheduler, settings):
    # Started after an outage (or a restart of the machine): it has not seen the workers beat yet.
    dead = building(persona, "host:2", silent_for=settings.BUILD_STALE_SECONDS + 5)
    scheduler.reap()
    assert state(dead) == ("building", 1)
    rounds(scheduler, settings.BUILD_STALE_SECONDS + settings.BUILD_REAP_SECONDS, settings)
    assert state(dead) == ("queued", 1)


def test_a_reaper_that_was_away_longer_than_a_heartbeat_rides_out_starts_its_window_again(
    persona, scheduler, settings
):
    rounds(scheduler, settings.BUILD_STALE_SECONDS + settings.BUILD_REAP_SECONDS, settings)
    live = building(persona, "host:1", silent_for=settings.BUILD_STALE_SECONDS + 5)
    # The scheduler was paused (a suspended machine, a round stuck in a lock): it did not see the
    # database while the workers may not have either.
    scheduler.reaper.clock.now += 60
    scheduler.reap()
    assert state(live) == ("building", 1)


@pytest.mark.parametrize("last_attempt", [False, True], ids=["rebuilt", "failed"])
def test_a_worker_that_beats_between_the_reapers_look_and_its_update_keeps_its_build(
    persona, sent, settings, last_attempt
):
    if last_attempt:
        settings.BUILD_MAX_ATTEMPTS = 1
    clip = building(persona, "host:1", silent_for=settings.BUILD_STALE_SECONDS + 5)
    table = Clip._meta.db_table
    beaten: list[bool] = []

    def worker_beats_first(execute, sql, params, many, context):
        # The reaper's first write to the clip: its worker's heartbeat lands just before it.
        if not beaten and sql.lstrip().upper().startswith(f'UPDATE "{table.upper()}"'):
            beaten.append(True)
            lifecycle.heartbeat(clip_id=clip.pk, attempt=1)
        return execute(sql, params, many, context)

    sent.clear()  # the approval's
    with connection.execute_wrapper(worker_beats_first):
        done = lifecycle.reap()
    assert beaten and done.rebuilt == [] and done.failed == []
    assert state(clip) == ("building", 1) and sent == []


def test_a_rebuild_for_a_worker_known_gone_needs_no_silent_heartbeat(persona, sent):
    # A redelivered task whose claimer process no longer exists rebuilds at once (builder/services.py).
    clip = building(persona, "host:1", silent_for=0)
    assert lifecycle.rebuild(clip_id=clip.pk, attempt=1, why="its worker (host:1) stopped") == "queued"
