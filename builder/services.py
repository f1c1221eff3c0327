"""Build one clip: claim it, run the pipeline, record the outcome on the clip and its question."""

from __future__ import annotations

import logging
import socket
import time

from django.db import transaction

from aijesus.studio.models import Clip, Question
from builder.errors import BuildError, TransientBuildError
from builder.pipeline import BuildRequest, load_pipeline

log = logging.getLogger(__name__)

NO_PIPELINE = (
    "no clip pipeline is installed in this version of the studio "
    "(the answer, voice and video stages are not built yet)"
)


def worker_name() -> str:
    import os

    return f"{socket.gethostname()}:{os.getpid()}"


def clip_build(*, clip_id: int, last_attempt: bool = True) -> str:
    """Returns the clip's status afterwards. Safe to run twice: only one run can claim the clip.

    A transient error gives the clip back to the queue and re-raises (the task retries) unless
    this is the last attempt, which fails the clip with the reason.
    """
    clip = Clip.objects.select_related("question", "persona_version").filter(pk=clip_id).first()
    if clip is None:
        # A message from another install sharing the broker, or a clip removed by an admin.
        log.warning("clip %s does not exist; nothing to build", clip_id)
        return "missing"
    if not clip.claim(worker=worker_name()):
        log.info("clip %s is %s; not building it again", clip_id, clip.status)
        return clip.status
    question = clip.question
    if question is not None and question.status == Question.Status.APPROVED:
        question.start_building()
    started = time.perf_counter()
    try:
        pipeline = load_pipeline()
        if pipeline is None:
            raise BuildError(NO_PIPELINE)
        request = BuildRequest(
            clip_id=clip.pk,
            question_text=question.text if question else "",
            viewer_name=question.viewer_name if question else "",
            persona=clip.persona_version.data,
        )
        result = pipeline(request)
    except BuildError as exc:
        clip_fail(clip=clip, reason=str(exc))
        return clip.status
    except TransientBuildError as exc:
        if last_attempt:
            clip_fail(clip=clip, reason=f"gave up after retries: {exc}")
            return clip.status
        clip.release(reason=f"retrying: {exc}")
        raise
    timings = {**result.timings, "total": time.perf_counter() - started}
    with transaction.atomic():
        clip.mark_ready(
            answer_text=result.answer_text,
            duration=result.duration,
            timings=timings,
            lipsync_engine=result.lipsync_engine,
            **result.files,
        )
        if question is not None:
            question.mark_ready()
    return clip.status


def clip_fail(*, clip: Clip, reason: str) -> None:
    """Mark the clip failed and say why on its question too; the question itself is kept."""
    with transaction.atomic():
        clip.fail(reason=reason)
        question = clip.question
        if question is not None:
            question.refresh_from_db(fields=["status"])
            if question.can_move(Question.Status.FAILED):
                question.fail(reason=f"clip build failed: {reason}")
    log.warning("clip %s failed: %s", clip.pk, reason)
