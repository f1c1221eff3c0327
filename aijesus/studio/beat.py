"""The scheduler process (`celery -A aijesus beat`): celery beat's own scheduler, which also runs
the build reaper every BUILD_REAP_SECONDS.

The reaper runs here, in the one process that exists to keep time, rather than as a task on a
worker queue: its job is to notice builds whose worker is gone, and when the only worker is gone
a task on its queue would wait with them. Two schedulers at once do no harm (every move the
reaper makes is conditional; see aijesus/studio/lifecycle.py).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from celery.beat import PersistentScheduler
from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection

log = logging.getLogger(__name__)


class ReapingScheduler(PersistentScheduler):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._next_reap = 0.0

    def tick(self, *args: Any, **kwargs: Any) -> float:
        wait = super().tick(*args, **kwargs)
        now = time.monotonic()
        if now >= self._next_reap:
            self._next_reap = now + settings.BUILD_REAP_SECONDS
            self.reap()
        return min(wait, max(0.0, self._next_reap - time.monotonic()))

    def reap(self) -> None:
        from aijesus.studio import lifecycle

        close_old_connections()
        try:
            done = lifecycle.reap()
        except DatabaseError as exc:  # the database restarting: next round
            log.warning("reaper: the database is unreachable (%s); trying again", exc)
            connection.close()
            return
        if done.rebuilt or done.failed or done.resent:
            log.info("reaper: rebuilt %s, failed %s, resent %s", done.rebuilt, done.failed, done.resent)
