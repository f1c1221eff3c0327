"""Celery tasks of the builder. They take ids and call a service; retries live here."""

from __future__ import annotations

import logging
import os
from typing import Any

from celery import shared_task
from celery.signals import worker_process_init

from aijesus.mediastore import StoreUnavailable
from builder import worker_info  # noqa: F401 — registers the `studio_info` inspect command
from builder.database import UNREACHABLE
from builder.errors import TransientBuildError
from builder.services import clip_build

log = logging.getLogger(__name__)


@worker_process_init.connect
def warm_up_engines(**_: Any) -> None:
    from aijesus.processes import ROLE_VAR
    from builder.engines import warm_up

    # The library worker only re-encodes what was built: it loads no engine, and so never calls a
    # voice service it is given no key for (aijesus/processes.py).
    if os.environ.get(ROLE_VAR) == "library":
        return

    try:
        warm_up()
    except Exception:  # a warm-up failure must not stop the worker; the build will report it
        log.warning("could not warm up the engines", exc_info=True)


@shared_task(
    bind=True,
    # UNREACHABLE: the database is away at the claim, or stayed away longer than a build waits for
    # it (builder/database.py). Tried again later: a clip still queued is claimed then; an attempt
    # left "building" is not built twice (the claim refuses it) but rebuilt by the reaper.
    autoretry_for=(TransientBuildError, *UNREACHABLE),
    retry_backoff=2,
    retry_backoff_max=60,
    retry_jitter=True,
    # The lifecycle counts attempts (BUILD_MAX_ATTEMPTS) and fails the clip after the last one;
    # Celery only spaces the retries out.
    max_retries=None,
)
def build_clip(self, clip_id: int) -> str:  # noqa: ANN001 — Celery's bound task
    # A worker that dies mid-build (SIGKILL, out of memory, the hard time limit) leaves a silent
    # heartbeat: the redelivered task or the reaper (aijesus/studio/beat.py) starts a new attempt.
    return clip_build(clip_id=clip_id)


@shared_task(
    ignore_result=True,
    acks_late=True,
    # A media store or a database away for a while: tried again, 10 s, 20 s, 40 s… apart (the clip
    # airs anyway; marking its MP4 made is one conditional UPDATE, safe to make twice).
    autoretry_for=(StoreUnavailable, TransientBuildError, *UNREACHABLE),
    retry_backoff=10,
    max_retries=6,
)
def render_library(clip_id: int, attempt: int) -> str:
    """The library's MP4 of a clip whose answer aired from speech segments (queue `library`)."""
    from builder.library import clip_render_library

    return clip_render_library(clip_id=clip_id, attempt=attempt)
