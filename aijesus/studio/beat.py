"""The scheduler process (`celery -A aijesus beat`): celery beat's own scheduler, which also runs
the build reaper every BUILD_REAP_SECONDS and the disk budget's pass (aijesus/studio/retention.py)
every MEDIA_RETENTION_MINUTES.

The reaper runs here, in the one process that exists to keep time, rather than as a task on a
worker queue: its job is to notice builds whose worker is gone, and when the only worker is gone
a task on its queue would wait with them. Two schedulers at once do no harm (every move the
reaper makes is conditional; see aijesus/studio/lifecycle.py).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from celery.beat import PersistentScheduler
from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection

if TYPE_CHECKING:
    from aijesus.studio.lifecycle import Reaped

log = logging.getLogger(__name__)


class Reaper:
    """The reaper's rounds, and its memory of how long it has reached the database without a break.

    After a database outage every heartbeat looks stale: no worker could write one either. So a
    round judges heartbeats (rebuilds the silent builds) only once this reaper has reached the
    database for one whole heartbeat window (BUILD_STALE_SECONDS) without a break: long enough for
    every live worker to have beaten again. A break is a round that could not reach it, or two
    rounds farther apart than a live heartbeat rides out (this process paused, a round stuck in a
    lock): the workers may have lost the database meanwhile without this reaper seeing it.

    The memory lives in this process, on purpose. The reap runs in the scheduler's own process, not
    as a task on a worker pool (see the module's docstring), so each round knows what the last one
    saw, and the question is whether *this* reaper has watched long enough. A process that starts
    knows nothing and waits one window: memory lost delays a rebuild, never hastens one. Were the
    reap a Celery task, each prefork child (on any machine) would keep a memory of its own, and a
    child that never saw the outage would judge at once; the time of the last failure would then
    have to live in Redis, written by every child and read by all. Two schedulers at once each wait
    their own window (their moves are conditional; lifecycle.rebuild re-checks the heartbeat).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._reached_at: float | None = None  # the start of the last round that reached the database
        self._watching_since: float | None = None  # the start of the unbroken run of such rounds

    def round(self) -> Reaped | None:
        """One reap; None if the database could not be reached."""
        from aijesus.studio import lifecycle

        started = self.clock()
        window = settings.BUILD_STALE_SECONDS
        if self._reached_at is not None and started - self._reached_at > _longest_unseen_gap():
            log.warning(
                "reaper: %.1f s since it last reached the database; no heartbeat judged for %g s",
                started - self._reached_at, window,
            )  # fmt: skip
            self._watching_since = None
        judge = self._watching_since is not None and started - self._watching_since >= window
        close_old_connections()
        try:
            done = lifecycle.reap(judge=judge)
        except DatabaseError as exc:  # the database restarting, or away: next round
            log.warning("reaper: the database is unreachable (%s); trying again", exc)
            self._reached_at = self._watching_since = None
            connection.close()
            return None
        self._reached_at = started
        if self._watching_since is None:
            self._watching_since = started
            log.info("reaper: the database answers; judging heartbeats from %g s on", window)
        if done.rebuilt or done.failed or done.resent:
            log.info("reaper: rebuilt %s, failed %s, resent %s", done.rebuilt, done.failed, done.resent)
        return done


def _longest_unseen_gap() -> float:
    """Rounds farther apart than this break the reaper's watch. A live worker beats every
    BUILD_HEARTBEAT_SECONDS, so a database outage the reaper did not see can make a live heartbeat
    look stale only if it lasted longer than BUILD_STALE_SECONDS less one beat. Never under two
    rounds' spacing, so that rounds on time keep the watch whatever the settings."""
    stale, beat = settings.BUILD_STALE_SECONDS, settings.BUILD_HEARTBEAT_SECONDS
    return max(stale - beat, 2 * settings.BUILD_REAP_SECONDS)


class ReapingScheduler(PersistentScheduler):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._next_reap = 0.0
        self.reaper = Reaper()
        self._next_sweep = 0.0
        self._sweeping: threading.Thread | None = None

    def tick(self, *args: Any, **kwargs: Any) -> float:
        wait = super().tick(*args, **kwargs)
        now = time.monotonic()
        if now >= self._next_reap:
            self._next_reap = now + settings.BUILD_REAP_SECONDS
            self.reap()
        if now >= self._next_sweep:
            self._next_sweep = now + settings.MEDIA_RETENTION_MINUTES * 60
            self.sweep_media()
        return min(wait, max(0.0, self._next_reap - time.monotonic()))

    def reap(self) -> Reaped | None:
        return self.reaper.round()

    def sweep_media(self) -> None:
        """The disk budget's pass, on a thread of its own: walking a year of clips must not hold
        up the reaper. One at a time; a pass still running when the next is due is let be."""
        if self._sweeping is not None and self._sweeping.is_alive():
            return
        self._sweeping = threading.Thread(target=_sweep_media, name="disk-budget", daemon=True)
        self._sweeping.start()


def _sweep_media() -> None:
    from aijesus import mediastore
    from aijesus.studio import retention

    try:
        retention.sweep()
    except DatabaseError as exc:
        log.warning("disk budget: the database is unreachable (%s); next pass", exc)
    except mediastore.StoreUnavailable as exc:
        log.warning("disk budget: cannot list the media store (%s); next pass", exc)
    except Exception:  # a thread that dies silently would stop the budget for good
        log.exception("disk budget: the pass failed")
    finally:
        connection.close()  # this thread's own connection
