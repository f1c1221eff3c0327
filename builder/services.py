"""Build one clip: claim it, run the pipeline, record segments and the outcome as they happen."""

from __future__ import annotations

import logging
import os
import shutil
import socket
from datetime import timedelta
from pathlib import Path
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from aijesus.studio.broadcast import broadcast_on_commit
from aijesus.studio.models import Clip, IllegalTransition, Question, Segment, StaleState
from builder.errors import BuildCancelled, BuildError, TransientBuildError
from builder.pipeline import BuildRequest, BuildResult, Graphics, SegmentReady, build_clip_media

log = logging.getLogger(__name__)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def media_name(path: Path) -> str:
    """A path under MEDIA_ROOT as a FileField stores it."""
    return str(path.relative_to(settings.MEDIA_ROOT))


def clip_build(*, clip_id: int, last_attempt: bool = True) -> str:
    """Returns the clip's status afterwards. Safe to run twice: only one run can claim the clip.

    A transient error gives the clip back to the queue and re-raises (the task retries) unless
    this is the last attempt, which fails the clip with the reason.
    """
    from builder.engines import engines_for, media_format, with_defaults

    clip = Clip.objects.select_related("question", "persona_version").filter(pk=clip_id).first()
    if clip is None:
        # A message from another install sharing the broker, or a clip removed by an admin.
        log.warning("clip %s does not exist; nothing to build", clip_id)
        return "missing"
    if not clip.claim(worker=worker_name()):
        if _abandoned(clip):
            clip_fail(clip=clip, reason=f"the worker building it ({clip.claimed_by}) stopped")
        log.info("clip %s is %s; not building it again", clip_id, clip.status)
        return clip.status
    question = clip.question
    if question is not None and question.status == Question.Status.APPROVED:
        question.start_building()
    # A retry starts clean: segments of an earlier attempt are replaced.
    clip.segments.all().delete()
    request = BuildRequest(
        clip_id=clip.pk,
        question_text=question.text if question else "",
        viewer_name=question.viewer_name if question else "",
        persona=with_defaults(clip.persona_version.data),
    )
    out_dir = Path(settings.MEDIA_ROOT) / "clips" / str(clip.pk)
    try:
        result = build_clip_media(
            request,
            engines_for(request.persona),
            media_format(),
            out_dir,
            on_segment=lambda ready: segment_record(clip=clip, ready=ready),
            graphics=Graphics(question_banner=settings.CLIP_QUESTION_BANNER, captions=settings.CLIP_CAPTIONS),
            on_progress=lambda progress: progress_record(clip=clip, progress=progress),
        )
    except BuildCancelled:
        _discard_media(clip)
        log.info("clip %s: build stopped, a moderator cancelled it", clip.pk)
        return Clip.Status.CANCELLED
    except TransientBuildError as exc:
        if last_attempt:
            clip_fail(clip=clip, reason=f"gave up after retries: {exc}")
            return clip.status
        clip.release(reason=f"retrying: {exc}")
        raise
    except BuildError as exc:
        clip_fail(clip=clip, reason=str(exc))
        return clip.status
    except SoftTimeLimitExceeded:
        clip_fail(clip=clip, reason="the build took longer than the time limit")
        return clip.status
    except Exception as exc:
        # Whatever broke, the clip must not stay "building" forever and the question must say why.
        log.exception("clip %s: unexpected build error", clip.pk)
        clip_fail(clip=clip, reason=f"unexpected error: {type(exc).__name__}: {exc}")
        return clip.status
    try:
        _finish(clip, question, result)
    except (IllegalTransition, StaleState):
        # Cancelled between the last progress check and now: the moderator's word stands.
        clip.refresh_from_db(fields=["status"])
        _discard_media(clip)
        log.info("clip %s finished but is %s; its media is discarded", clip.pk, clip.status)
    return clip.status


def _finish(clip: Clip, question: Question | None, result: BuildResult) -> None:
    with transaction.atomic():
        clip.mark_ready(
            progress={},
            answer_text=result.answer_text,
            duration=result.duration,
            timings=result.timings,
            lipsync_engine=result.lipsync_engine,
            **{name: media_name(path) for name, path in result.files.items()},
        )
        if question is not None:
            question.mark_ready()
            # The streamer may have started airing it while it was still building.
            clip.refresh_from_db(fields=["aired_count"])
            if clip.aired_count:
                question.mark_aired()


def _abandoned(clip: Clip) -> bool:
    """Claimed longer ago than any build may run: its worker was killed (hard limit, crash)."""
    clip.refresh_from_db(fields=["status", "started_at", "claimed_by"])
    limit = timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    return (
        clip.status == Clip.Status.BUILDING
        and clip.started_at is not None
        and (timezone.now() - clip.started_at > limit)
    )


def segment_record(*, clip: Clip, ready: SegmentReady) -> Segment:
    """Store a finished segment at once: the streamer may start airing before the clip is done."""
    segment = Segment.objects.create(
        clip=clip, index=ready.index, media=media_name(ready.path), duration=ready.duration, text=ready.text
    )
    broadcast_on_commit("clips")
    return segment


def progress_record(*, clip: Clip, progress: dict[str, Any]) -> None:
    """Store where the build is for the dashboard, and stop here if a moderator cancelled it."""
    updated = Clip.objects.filter(pk=clip.pk, status=Clip.Status.BUILDING).update(progress=progress)
    if not updated:
        raise BuildCancelled(f"clip {clip.pk} is no longer building")
    broadcast_on_commit("clips")


def _discard_media(clip: Clip) -> None:
    clip.segments.all().delete()
    shutil.rmtree(Path(settings.MEDIA_ROOT) / "clips" / str(clip.pk), ignore_errors=True)


def clip_fail(*, clip: Clip, reason: str) -> None:
    """Mark the clip failed and say why on its question too; the question itself is kept.

    Its partial media goes: a failed clip never airs, and a retry builds it again from scratch.
    """
    _discard_media(clip)
    with transaction.atomic():
        clip.fail(reason=reason)
        question = clip.question
        if question is not None:
            question.refresh_from_db(fields=["status"])
            if question.can_move(Question.Status.FAILED):
                question.fail(reason=f"clip build failed: {reason}")
    log.warning("clip %s failed: %s", clip.pk, reason)
