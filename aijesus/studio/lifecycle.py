"""The one owner of a clip's life from approval to air, and of its question's status meanwhile.

    approve/retry ─► queued ──claim──► building ──finish──► ready ──aired──► aired_count > 0
                       ▲  ▲               │  │  │
                       │  └── release ────┘  │  └── fail ──► failed
                       └───── reap ──────────┘ (cancel from queued or building ──► cancelled)

Callers: the web (`enqueue`, `cancel`), the builder's task (`claim`, `heartbeat`, `progress`,
`record_segment`, `finish`, `fail`, `release`), the streamer (`airing_started`, `aired`,
`airing_abandoned`, `clear_on_air`, `media_broken`, `set_aside`) and the scheduler (`reap`).
Nothing else writes these statuses.

Every transition is one transaction of conditional UPDATEs on (status, attempt): of two processes
acting on one clip at once exactly one wins and the other learns it from the return value, so a
second reaper, a redelivered task or a late worker does no harm. A question's status from approval
on is derived from its current clip in the same transaction (`_follow`): queued → approved,
building → building, ready → ready (aired once it has aired), failed or cancelled → failed.

Exactly one whole answer on air: an airing counts only when it reaches the end of a ready clip
of the attempt it started with (or a moderator skips it). If the attempt the streamer is airing is
released, reaped, failed or cancelled, the streamer goes back to the idle pose at the next sentence
boundary, nothing is counted, and the rebuilt answer airs whole later. Media the streamer cannot
play (lost or corrupt) sends the ready clip back to be built again (`media_broken`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from kombu.exceptions import OperationalError

from aijesus.studio.broadcast import broadcast_on_commit
from aijesus.studio.clip_media import remove_media
from aijesus.studio.models import Clip, PersonaVersion, Question, Segment
from aijesus.studio.playout_notice import notify_playout

log = logging.getLogger(__name__)

S = Clip.Status
_QUESTION_FOLLOWS = {
    S.QUEUED: Question.Status.APPROVED,
    S.BUILDING: Question.Status.BUILDING,
    S.READY: Question.Status.READY,
    S.FAILED: Question.Status.FAILED,
    S.CANCELLED: Question.Status.FAILED,
}


# -- approval


def enqueue(*, question: Question | None, version: PersonaVersion) -> Clip:
    """A new clip for an approved question; its build task is sent once this commits."""
    with transaction.atomic():
        clip = Clip.objects.create(question=question, persona_version=version)
        _follow(clip.pk)
        # robust: a broker that is down must not turn a committed approval into an error (the
        # chat ingest would store its batch twice). The clip stays queued with no enqueued_at,
        # and the reaper sends it once the broker answers.
        transaction.on_commit(lambda: send(clip.pk), robust=True)
    return clip


def send(clip_id: int) -> bool:
    """Send the build task of a queued clip; record when, so the reaper knows a task is out."""
    from builder.tasks import build_clip

    try:
        # No publish retries: a broker that is down fails fast here and the reaper sends later.
        build_clip.apply_async((clip_id,), retry=False)
    except (OperationalError, OSError) as exc:  # the broker is unreachable: the reaper sends it later
        log.warning("could not send the build of clip %s (the reaper will): %s", clip_id, exc)
        return False
    Clip.objects.filter(pk=clip_id, status=S.QUEUED).update(enqueued_at=timezone.now())
    return True


def cancel(*, clip: Clip, reason: str) -> bool:
    """A moderator stops a queued or building clip; its worker notices at its next step."""
    with transaction.atomic():
        moved = _move(clip.pk, {S.QUEUED, S.BUILDING}, S.CANCELLED, error=reason, finished_at=timezone.now())
        if moved:
            Segment.objects.filter(clip_id=clip.pk).delete()  # a cancelled clip keeps nothing
            _follow(clip.pk, reason=reason)
            transaction.on_commit(lambda: remove_media(clip.pk))
    return moved


# -- the worker


@dataclass(frozen=True)
class Claim:
    clip_id: int
    attempt: int

    @property
    def last(self) -> bool:
        return self.attempt >= settings.BUILD_MAX_ATTEMPTS


def claim(*, clip_id: int, worker: str) -> Claim | None:
    """Take a queued clip for building; None if it is not queued (any more)."""
    now = timezone.now()
    with transaction.atomic():
        current = Clip.objects.filter(pk=clip_id, status=S.QUEUED).values_list("attempt", flat=True).first()
        if current is None:
            return None
        updated = Clip.objects.filter(pk=clip_id, status=S.QUEUED, attempt=current).update(
            status=S.BUILDING,
            attempt=current + 1,
            claimed_by=worker[:200],
            started_at=now,
            heartbeat_at=now,
            finished_at=None,
            error="",
            progress={},
            updated_at=now,
        )
        if not updated:
            return None
        _follow(clip_id)
    return Claim(clip_id, current + 1)


def heartbeat(*, clip_id: int, attempt: int) -> bool:
    """The worker is alive; False if this attempt is no longer the clip's (cancelled, reaped)."""
    return _building(clip_id, attempt).update(heartbeat_at=timezone.now()) == 1


def progress(*, clip_id: int, attempt: int, state: dict[str, Any]) -> bool:
    """Where the build is, for the dashboard; doubles as a heartbeat."""
    moved = _building(clip_id, attempt).update(progress=state, heartbeat_at=timezone.now()) == 1
    if moved:
        broadcast_on_commit("clips")
    return moved


def record_segment(
    *,
    clip_id: int,
    attempt: int,
    index: int,
    media: str,
    duration: float,
    text: str,
    kind: str = Segment.Kind.VIDEO,
) -> Segment | None:
    """Store a finished segment at once (the streamer may air it before the clip is done)."""
    with transaction.atomic():
        if _building(clip_id, attempt).update(heartbeat_at=timezone.now()) != 1:
            return None
        segment = Segment.objects.create(
            clip_id=clip_id,
            attempt=attempt,
            index=index,
            kind=kind,
            media=media,
            duration=duration,
            text=text,
        )
        broadcast_on_commit("clips")
        notify_playout()
    return segment


def finish(*, clip_id: int, attempt: int, library_pending: bool = False, **results: Any) -> bool:
    """The build is complete: the clip is ready (and its question too, unless it aired already).

    `library_pending`: the library's MP4 is still to be made (speech segments); its task is sent.
    """
    with transaction.atomic():
        moved = _building(clip_id, attempt).update(
            status=S.READY,
            finished_at=timezone.now(),
            progress={},
            note="",
            updated_at=timezone.now(),
            **results,
        )
        if moved:
            # Earlier attempts are not aired any more: the streamer airs this one.
            Segment.objects.filter(clip_id=clip_id).exclude(attempt=attempt).delete()
            _follow(clip_id)
            transaction.on_commit(lambda: remove_media(clip_id, keep=attempt))
            notify_playout()
            if library_pending:
                transaction.on_commit(lambda: _send_library(clip_id, attempt), robust=True)
    return moved == 1


def library_ready(*, clip_id: int, attempt: int, video: str) -> bool:
    """The library's MP4 of a ready clip's attempt is made (after the build, at low priority)."""
    moved = Clip.objects.filter(pk=clip_id, attempt=attempt, status=S.READY).update(video=video)
    broadcast_on_commit("clips")
    return moved == 1


def _send_library(clip_id: int, attempt: int) -> None:
    from builder.tasks import render_library

    try:
        render_library.apply_async((clip_id, attempt), retry=False)
    except (OperationalError, OSError) as exc:
        log.warning("could not send the library render of clip %s (the reaper will): %s", clip_id, exc)


def fail(*, clip_id: int, attempt: int | None, reason: str) -> bool:
    """The clip failed (this attempt, or whatever attempt when None); the question keeps the reason."""
    rows = Clip.objects.filter(pk=clip_id, status__in=[S.QUEUED, S.BUILDING])
    if attempt is not None:
        rows = rows.filter(attempt=attempt, status=S.BUILDING)
    return _fail(rows, clip_id, reason)


def _fail(rows: Any, clip_id: int, reason: str) -> bool:
    with transaction.atomic():
        moved = rows.update(
            status=S.FAILED, error=reason, finished_at=timezone.now(), updated_at=timezone.now()
        )
        if moved:
            # A failed clip never airs; a retry is a new clip built from scratch.
            Segment.objects.filter(clip_id=clip_id).delete()
            _follow(clip_id, reason=f"clip build failed: {reason}")
            transaction.on_commit(lambda: remove_media(clip_id))
            log.warning("clip %s failed: %s", clip_id, reason)
    return moved == 1


def release(*, clip_id: int, attempt: int, reason: str) -> str:
    """A transient error: back to the queue for another attempt, or failed after the last one.

    Returns the clip's status afterwards ("queued", "failed", or whatever another process made it).
    """
    if attempt >= settings.BUILD_MAX_ATTEMPTS:
        fail(clip_id=clip_id, attempt=attempt, reason=f"gave up after {attempt} attempts: {reason}")
    else:
        note = f"retrying after: {reason} (attempt {attempt + 1}/{settings.BUILD_MAX_ATTEMPTS})"
        with transaction.atomic():
            if _building(clip_id, attempt).update(
                status=S.QUEUED, claimed_by="", note=note[:300], progress={}, enqueued_at=timezone.now(),
                updated_at=timezone.now(),
            ):  # fmt: skip
                _follow(clip_id)
    return Clip.objects.filter(pk=clip_id).values_list("status", flat=True).first() or "missing"


# -- the streamer


def airing_started(clip_id: int, attempt: int, *, at: datetime | None = None) -> bool:
    """The first frame of this attempt is going on air; False if the attempt is no longer current.
    `at` (default now) marks the airing: `aired(once=True)` counts only the airing with that mark."""
    rows = Clip.objects.filter(pk=clip_id, attempt=attempt, status__in=[S.BUILDING, S.READY])
    moved = rows.update(on_air_since=at or timezone.now())
    broadcast_on_commit("clips")
    return moved == 1


def aired(
    *,
    clip_id: int,
    attempt: int,
    started_at: datetime,
    skipped: bool = False,
    segments: int | None = None,
    once: bool = False,
    fence: Callable[[], bool] | None = None,
) -> bool:
    """An airing ended. It counts if it played a ready clip's attempt whole, or a moderator skipped
    it; the question is then aired. False (nothing counted) for an attempt that did not complete.

    `segments`: how many of the attempt's segments played; fewer than it has is not whole.
    `once`: count only the airing `airing_started(at=started_at)` marked, so a report written twice
    (replayed from the streamer's journal after a crash) counts once. `fence`: asked after the
    count, before it commits (the streamer's lease); False undoes it: a streamer that is no longer
    the broadcaster counts nothing.
    """
    statuses = [S.READY, S.BUILDING] if skipped else [S.READY]
    with transaction.atomic():
        this_airing = Clip.objects.filter(pk=clip_id)
        if once:
            this_airing = this_airing.filter(on_air_since=started_at)
        rows = this_airing.filter(attempt=attempt, status__in=statuses)
        played = segments is None or skipped
        if not played and Segment.objects.filter(clip_id=clip_id, attempt=attempt).count() != segments:
            rows = rows.none()  # it did not play to the end: never counted as heard
        counted = rows.update(
            aired_count=F("aired_count") + 1, last_aired_at=timezone.now(), on_air_since=None
        )
        if counted and fence is not None and not fence():
            transaction.set_rollback(True)
            return False
        if counted:
            Clip.objects.filter(pk=clip_id, first_aired_at__isnull=True).update(first_aired_at=started_at)
            _follow(clip_id)
        else:
            this_airing.update(on_air_since=None)
        broadcast_on_commit("clips")
    return counted == 1


def airing_abandoned(*, clip_id: int, started_at: datetime | None = None) -> None:
    """The streamer stopped airing a clip whose attempt went away: nothing is counted. With
    `started_at`, only that airing's mark is cleared (a late or replayed report leaves a newer one)."""
    rows = Clip.objects.filter(pk=clip_id)
    if started_at is not None:
        rows = rows.filter(on_air_since=started_at)
    rows.update(on_air_since=None)
    broadcast_on_commit("clips")


def clear_on_air() -> list[int]:
    """A streamer starts broadcasting (a restart, or a standby taking over): nothing is on air yet,
    so a clip still marked on air was cut by a streamer that died. Its airing was not counted; it
    airs again whole if it never aired."""
    marked = list(Clip.objects.filter(on_air_since__isnull=False).values_list("pk", flat=True))
    if marked:
        Clip.objects.filter(pk__in=marked).update(on_air_since=None)
        broadcast_on_commit("clips")
    return marked


def media_broken(*, clip_id: int, attempt: int, reason: str) -> str | None:
    """The streamer could not play this attempt's media (a file gone from the media store, a
    segment that does not decode): nothing was counted, and the clip goes back to be built again,
    as `rebuild` does (the attempt is kept, so the next claim is a new one; failed after the last).
    Returns the new status, or None if the attempt was no longer current."""
    limit = settings.BUILD_MAX_ATTEMPTS
    rows = Clip.objects.filter(pk=clip_id, attempt=attempt, status__in=[S.READY, S.BUILDING])
    if attempt >= limit:
        moved = _fail(rows, clip_id, f"{reason} (gave up after {attempt}/{limit} attempts)")
        return S.FAILED if moved else None
    note = f"rebuilding: {reason} (attempt {attempt + 1}/{limit})"[:300]
    with transaction.atomic():
        moved = rows.update(
            status=S.QUEUED, claimed_by="", note=note, progress={}, enqueued_at=None, on_air_since=None,
            video="", updated_at=timezone.now(),
        )  # fmt: skip
        if not moved:
            return None
        Segment.objects.filter(clip_id=clip_id, attempt=attempt).delete()  # never aired again
        _follow(clip_id, reason=note)
        transaction.on_commit(lambda: send(clip_id), robust=True)
    log.warning("clip %s: %s", clip_id, note)
    return S.QUEUED


def set_aside(*, clip_id: int, attempt: int, reason: str) -> bool:
    """The streamer could not prepare this clip for air, again and again (STREAM_PICK_FAILURES): it
    fails with the reason, so it stops holding up the answers behind it (a moderator may retry)."""
    rows = Clip.objects.filter(pk=clip_id, attempt=attempt, status__in=[S.READY, S.BUILDING])
    with transaction.atomic():
        moved = _fail(rows, clip_id, reason)
        if moved:
            Clip.objects.filter(pk=clip_id).update(on_air_since=None)
    return moved


# -- the scheduler


@dataclass
class Reaped:
    rebuilt: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    resent: list[int] = field(default_factory=list)


def reap(*, now: datetime | None = None, judge: bool = True) -> Reaped:
    """Rebuild clips whose worker stopped; send again queued clips with no task out.

    `judge=False` only sends: its caller cannot vouch that the workers could reach the database
    for the last heartbeat window (after an outage every heartbeat looks stale; see
    aijesus/studio/beat.py), so no silence is taken for a death.
    """
    now = now or timezone.now()
    done = Reaped()
    stale = now - timedelta(seconds=settings.BUILD_STALE_SECONDS)
    building = Clip.objects.filter(_silent(stale), status=S.BUILDING) if judge else Clip.objects.none()
    for clip_id, attempt, worker in building.values_list("pk", "attempt", "claimed_by"):
        why = f"its worker ({worker}) stopped"
        outcome = rebuild(clip_id=clip_id, attempt=attempt, why=why, silent_before=stale)
        if outcome == S.QUEUED:
            done.rebuilt.append(clip_id)
        elif outcome == S.FAILED:
            done.failed.append(clip_id)
    resend_before = now - timedelta(seconds=settings.BUILD_RESEND_SECONDS)
    queued = Clip.objects.filter(status=S.QUEUED).exclude(enqueued_at__gte=resend_before)
    queued = queued.exclude(pk__in=done.rebuilt)  # sent as they were rebuilt
    for clip_id in queued.values_list("pk", flat=True):
        if send(clip_id):
            done.resent.append(clip_id)
    return done


def rebuild(*, clip_id: int, attempt: int, why: str, silent_before: datetime | None = None) -> str | None:
    """Take a building attempt away from a worker that stopped: queued again (and sent), or failed
    after the last attempt. Returns the new status, or None if another process moved it first.

    `silent_before` (the reaper's cutoff): the UPDATE also requires the heartbeat to be older still,
    so a worker that beat between the reaper's look and this move keeps its build. None when the
    caller knows the worker is gone (its process no longer exists): no heartbeat to wait for.
    """
    rows = _building(clip_id, attempt)
    if silent_before is not None:
        rows = rows.filter(_silent(silent_before))
    limit = settings.BUILD_MAX_ATTEMPTS
    if attempt >= limit:
        moved = _fail(rows, clip_id, f"{why} during attempt {attempt}/{limit}")
        return S.FAILED if moved else None
    note = f"rebuilding after {why} (attempt {attempt + 1}/{limit})"
    with transaction.atomic():
        moved = rows.update(
            status=S.QUEUED, claimed_by="", note=note[:300], progress={}, enqueued_at=None,
            updated_at=timezone.now(),
        )  # fmt: skip
        if not moved:
            return None
        _follow(clip_id)
        transaction.on_commit(lambda: send(clip_id), robust=True)
    log.warning("clip %s: %s", clip_id, note)
    return S.QUEUED


def _silent(before: datetime) -> Q:
    """No heartbeat since `before` (or none at all)."""
    return Q(heartbeat_at__lt=before) | Q(heartbeat_at__isnull=True)


# -- inside


def _building(clip_id: int, attempt: int) -> Any:
    return Clip.objects.filter(pk=clip_id, status=S.BUILDING, attempt=attempt)


def _move(clip_id: int, sources: set[str], target: str, **fields: Any) -> bool:
    fields["updated_at"] = timezone.now()
    return Clip.objects.filter(pk=clip_id, status__in=sources).update(status=target, **fields) == 1


def _follow(clip_id: int, *, reason: str | None = None) -> None:
    """Set the question's status from its current (latest) clip's, in the caller's transaction."""
    clip = Clip.objects.filter(pk=clip_id).values("question_id", "status", "aired_count").first()
    if clip is None or clip["question_id"] is None:
        broadcast_on_commit("clips")
        return
    question_id = clip["question_id"]
    if Clip.objects.filter(question_id=question_id, pk__gt=clip_id).exists():
        return  # an older clip of a retried question: the newer one speaks for it
    status = _QUESTION_FOLLOWS[clip["status"]]
    if status == Question.Status.READY and clip["aired_count"]:
        status = Question.Status.AIRED
    fields: dict[str, Any] = {"status": status, "updated_at": timezone.now()}
    if reason is not None:
        fields["status_reason"] = reason
    elif status != Question.Status.FAILED:
        fields["status_reason"] = ""
    Question.objects.filter(pk=question_id).update(**fields)
    broadcast_on_commit("queue")
    broadcast_on_commit("clips")
    notify_playout()
