"""Celery tasks of the builder. They take ids and call a service; retries live here."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from celery.signals import worker_process_init

from builder.errors import TransientBuildError
from builder.services import clip_build

log = logging.getLogger(__name__)


@worker_process_init.connect
def warm_up_engines(**_: Any) -> None:
    from builder.engines import warm_up

    try:
        warm_up()
    except Exception:  # a warm-up failure must not stop the worker; the build will report it
        log.warning("could not warm up the engines", exc_info=True)


@shared_task(
    bind=True,
    autoretry_for=(TransientBuildError,),
    retry_backoff=2,
    retry_backoff_max=60,
    retry_jitter=True,
    max_retries=3,
)
def build_clip(self, clip_id: int) -> str:  # noqa: ANN001 — Celery's bound task
    # The soft time limit is handled in clip_build (the clip fails with a readable reason and its
    # partial files are removed); the hard limit kills the worker process, and acks_late
    # redelivers the task, which then finds the clip claimed.
    return clip_build(clip_id=clip_id, last_attempt=self.request.retries >= self.max_retries)
