"""Build one clip: claim an attempt, run the pipeline, report each step to the lifecycle.

Every state change goes through aijesus/studio/lifecycle.py; this module only runs the build and
says what happened. While it runs, a heartbeat thread proves the worker is alive, also inside a
long stage (a model load, a long sentence), so the reaper can tell a slow build from a dead one.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import socket
import threading
from pathlib import Path
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection

from aijesus import mediastore
from aijesus.studio import clip_media, lifecycle
from aijesus.studio.models import Clip, Segment
from builder.database import UNREACHABLE, when_reachable
from builder.encode.speech import segment_files
from builder.errors import BuildCancelled, BuildError, TransientBuildError
from builder.pipeline import BuildRequest, BuildResult, Graphics, SegmentReady, build_clip_media

log = logging.getLogger(__name__)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def media_name(path: Path) -> str:
    """A path under MEDIA_ROOT as a FileField stores it."""
    return str(path.relative_to(settings.MEDIA_ROOT))


def clip_build(*, clip_id: int) -> str:
    """Returns the clip's status afterwards. Safe to run twice: only one run can claim the clip.

    A transient error gives the clip back to the queue and re-raises (the task retries later)
    unless this was the last attempt, which fails the clip with the reason.
    """
    claim = lifecycle.claim(clip_id=clip_id, worker=worker_name())
    if claim is None:
        return _not_claimed(clip_id)
    clip = Clip.objects.select_related("question", "persona_version").get(pk=clip_id)
    out_dir = clip_media.attempt_dir(clip_id, claim.attempt)
    with Heartbeat(claim) as beat:
        try:
            result = _run(clip, claim, out_dir, beat)
        except BuildCancelled:
            _discard(out_dir)
            log.info("clip %s attempt %s stopped: it was cancelled or taken over", clip_id, claim.attempt)
            return _status(clip_id)
        except TransientBuildError as exc:
            _discard(out_dir)  # the next attempt writes its own folder
            status = lifecycle.release(clip_id=clip_id, attempt=claim.attempt, reason=str(exc))
            if status == Clip.Status.QUEUED:
                raise
            return status
        except BuildError as exc:
            reason = str(exc)
        except SoftTimeLimitExceeded:
            reason = "the build took longer than the time limit"
        except UNREACHABLE:
            # The database stayed away longer than a build waits for it (builder/database.py): not
            # the clip's fault, and nothing can be written now. The attempt stays "building" with a
            # silent heartbeat; the reaper rebuilds it once the database is back (the task retries).
            log.warning("clip %s attempt %s: the database stayed unreachable", clip_id, claim.attempt)
            raise
        except Exception as exc:
            # Whatever broke, the clip must not stay "building" and the question must say why.
            log.exception("clip %s: unexpected build error", clip_id)
            reason = f"unexpected error: {type(exc).__name__}: {exc}"
        else:
            reason = ""
    if reason:
        # A failed attempt's partial media never airs: a retry is a new clip built from scratch.
        _discard(out_dir)
        lifecycle.fail(clip_id=clip_id, attempt=claim.attempt, reason=reason)
        return _status(clip_id)
    try:
        send_to_store(list(result.files.values()))
    except TransientBuildError as exc:
        _discard(out_dir)
        if lifecycle.release(clip_id=clip_id, attempt=claim.attempt, reason=str(exc)) == Clip.Status.QUEUED:
            raise  # the task retries with its backoff, as for a transient error during the build
        return _status(clip_id)
    files = {name: media_name(path) for name, path in result.files.items()}
    finished = when_reachable(
        lambda: lifecycle.finish(
            clip_id=clip_id,
            attempt=claim.attempt,
            answer_text=result.answer_text,
            duration=result.duration,
            timings=result.timings,
            lipsync_engine=result.lipsync_engine,
            library_pending=result.library_pending,
            **files,
        ),
        what=f"clip {clip_id}: finish",
        done=lambda: _ready_already(claim),
    )
    if not finished:  # cancelled or taken over between the last step and now: theirs stands
        _discard(out_dir)
    return _status(clip_id)


def _ready_already(claim: lifecycle.Claim) -> bool | None:
    """True if this attempt is ready: its finish committed though the answer was lost."""
    return (
        Clip.objects.filter(pk=claim.clip_id, attempt=claim.attempt, status=Clip.Status.READY).exists()
        or None
    )


def _discard(out_dir: Path) -> None:
    """Remove this attempt's files (and the clip's folder if no other attempt has one)."""
    shutil.rmtree(out_dir, ignore_errors=True)
    with contextlib.suppress(OSError):  # another attempt's folder is still there
        out_dir.parent.rmdir()
    mediastore.remove(media_name(out_dir))


def send_to_store(paths: list[Path]) -> None:
    """Files of this build to the media store (with MEDIA_STORAGE=s3), before any row names them:
    the streamer never looks for an object that is not there yet. A store that stays away is a
    transient error: the build is retried, the question kept."""
    for path in paths:
        try:
            mediastore.publish(path)
        except mediastore.StoreUnavailable as exc:
            raise TransientBuildError(str(exc)) from None


def _run(clip: Clip, claim: lifecycle.Claim, out_dir: Path, beat: Heartbeat) -> BuildResult:
    from builder.engines import engines_for, media_format, with_defaults

    question = clip.question
    request = BuildRequest(
        clip_id=clip.pk,
        question_text=question.text if question else "",
        viewer_name=question.viewer_name if question else "",
        persona=with_defaults(clip.persona_version.data),
    )

    def on_segment(ready: SegmentReady) -> None:
        send_to_store(segment_files(ready.path, ready.kind))
        mine = {"clip_id": claim.clip_id, "attempt": claim.attempt, "index": ready.index}
        recorded = when_reachable(
            lambda: lifecycle.record_segment(
                **mine,
                media=media_name(ready.path),
                duration=ready.duration,
                text=ready.text,
                kind=ready.kind,
            ),
            what=f"clip {claim.clip_id}: segment {ready.index}",
            done=lambda: Segment.objects.filter(**mine).first(),
        )
        if recorded is None:
            raise BuildCancelled(f"clip {claim.clip_id} attempt {claim.attempt} is no longer building")

    def on_progress(state: dict[str, Any]) -> None:
        if beat.lost.is_set() or not when_reachable(
            lambda: lifecycle.progress(clip_id=claim.clip_id, attempt=claim.attempt, state=state),
            what=f"clip {claim.clip_id}: progress",
        ):
            raise BuildCancelled(f"clip {claim.clip_id} attempt {claim.attempt} is no longer building")

    return build_clip_media(
        request,
        engines_for(request.persona),
        media_format(),
        out_dir,
        on_segment=on_segment,
        graphics=Graphics(question_banner=settings.CLIP_QUESTION_BANNER, captions=settings.CLIP_CAPTIONS),
        on_progress=on_progress,
    )


def _status(clip_id: int) -> str:
    return Clip.objects.filter(pk=clip_id).values_list("status", flat=True).first() or "missing"


def _not_claimed(clip_id: int) -> str:
    """A task for a clip that is not queued: a duplicate, or one redelivered after its worker died.

    In the second case the claimer is a process of this very host that no longer exists: the
    rebuild starts now rather than when the reaper notices the silent heartbeat.
    """
    clip = Clip.objects.filter(pk=clip_id).values("status", "attempt", "claimed_by").first()
    if clip is None:
        # A message from another install sharing the broker, or a clip removed by an admin.
        log.warning("clip %s does not exist; nothing to build", clip_id)
        return "missing"
    if clip["status"] == Clip.Status.BUILDING and _claimer_is_gone(clip["claimed_by"]):
        why = f"its worker ({clip['claimed_by']}) stopped"
        if lifecycle.rebuild(clip_id=clip_id, attempt=clip["attempt"], why=why) == Clip.Status.QUEUED:
            return clip_build(clip_id=clip_id)
    log.info("clip %s is %s; not building it again", clip_id, clip["status"])
    return _status(clip_id)


def _claimer_is_gone(claimed_by: str) -> bool:
    host, _, pid = claimed_by.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # a live process of another user
        return False
    return False


class Heartbeat:
    """Refreshes the claim's heartbeat on its own thread (and own database connection) every
    BUILD_HEARTBEAT_SECONDS. `lost` is set once the attempt is no longer this worker's."""

    def __init__(self, claim: lifecycle.Claim) -> None:
        self.claim = claim
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Heartbeat:
        # A build run inside an open transaction (a test, a shell) has nobody to prove liveness
        # to: other connections cannot see its rows.
        if not connection.in_atomic_block:
            self._thread = threading.Thread(target=self._beat, name=f"heartbeat-{self.claim.clip_id}")
            self._thread.daemon = True
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _beat(self) -> None:
        try:
            while not self._stop.wait(settings.BUILD_HEARTBEAT_SECONDS):
                close_old_connections()
                try:
                    alive = lifecycle.heartbeat(clip_id=self.claim.clip_id, attempt=self.claim.attempt)
                except DatabaseError as exc:  # the database restarting: try again next beat
                    log.warning("heartbeat of clip %s failed: %s", self.claim.clip_id, exc)
                    connection.close()
                    continue
                if not alive:
                    self.lost.set()
                    return
        finally:
            connection.close()
