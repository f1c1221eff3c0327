"""Scheduled work of the studio (Celery beat sends these to the default queue)."""

from __future__ import annotations

import logging

from celery import shared_task

from aijesus.studio import lifecycle

log = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def reap_builds() -> dict[str, list[int]]:
    """Rebuild clips whose worker stopped; send again queued clips whose task is not out."""
    done = lifecycle.reap()
    if done.rebuilt or done.failed or done.resent:
        log.info("reaper: rebuilt %s, failed %s, resent %s", done.rebuilt, done.failed, done.resent)
    return {"rebuilt": done.rebuilt, "failed": done.failed, "resent": done.resent}
