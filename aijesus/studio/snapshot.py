"""What a dashboard shows, as plain JSON.

`studio_snapshot` is everything (sent once when a socket connects); `queue_snapshot` is the same
without the streamer's state (sent after each committed queue change: the stream's state reaches
open pages in messages of its own, about once a second, and must not rebuild the queue).

Every query here is bounded by what waits or happened lately, never by the history: a studio
keeps a year of questions (hundreds of thousands), and a snapshot is read on every queue change.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, F, Q
from django.utils import timezone

from aijesus.studio.models import Clip, Persona, Question

log = logging.getLogger(__name__)

PENDING_LIMIT = 200
RECENT_LIMIT = 50
IN_PROGRESS = [Question.Status.APPROVED, Question.Status.BUILDING]
# Handled questions (rejected, dropped, aired, failed) are counted over this window; waiting and
# in-progress ones (Question.LIVE) all, whatever their age.
COUNT_WINDOW = timedelta(hours=24)


def clip_json(clip: Clip | None) -> dict[str, Any] | None:
    if clip is None:
        return None
    return {
        "id": clip.pk,
        "status": clip.status,
        "error": clip.error,
        "segments": clip.segments_ready,  # annotated by latest_clips
        "attempt": clip.attempt,
        "note": clip.note,
        "on_air": clip.on_air_since is not None,
        "duration": clip.duration,
        "answer": clip.answer_text,
        "aired": clip.aired_count,
        "lipsync": clip.lipsync_engine,
        "progress": clip.progress,
        "warnings": clip.timings.get("warnings", []) if isinstance(clip.timings, dict) else [],
        "created_at": clip.created_at.isoformat(),
        "started_at": clip.started_at.isoformat() if clip.started_at else None,
    }


def latest_clips(question_ids: list[int]) -> dict[int, Clip]:
    """Each question's latest clip, with its attempt's segments counted (`segments_ready`)."""
    clips = Clip.objects.filter(question_id__in=question_ids).annotate(
        segments_ready=Count("segments", filter=Q(segments__attempt=F("attempt")))
    )
    latest: dict[int, Clip] = {}
    for clip in clips.order_by("pk"):
        latest[clip.question_id] = clip  # the newest wins
    return latest


@dataclass(frozen=True)
class Related:
    """What listed questions show beside their own fields, one query each: latest clips, AutoMod
    holds, moderators' names. Joins and prefetches built a related object or a queryset for every
    question, about half of the snapshot's time."""

    clips: dict[int, Clip]
    holds: dict[int, Any]
    names: dict[int, str]

    @classmethod
    def of(cls, questions: list[Question]) -> Related:
        from aijesus.chat.models import AutoModHold

        ids = [q.pk for q in questions]
        users = get_user_model().objects.filter(pk__in={q.moderated_by_id for q in questions} - {None})
        return cls(
            clips=latest_clips(ids),
            holds={hold.question_id: hold for hold in AutoModHold.objects.filter(question_id__in=ids)},
            names=dict(users.values_list("pk", get_user_model().USERNAME_FIELD)),
        )


def question_json(question: Question, related: Related) -> dict[str, Any]:
    return {
        "id": question.pk,
        "viewer": question.viewer_name,
        "text": question.text,
        "source": question.source,
        "status": question.status,
        "status_reason": question.status_reason,
        "priority": question.priority,
        "priority_reason": question.priority_reason,
        "prescreen": question.prescreen_verdict,
        "prescreen_reason": question.prescreen_reason,
        "received_at": question.received_at.isoformat(),
        "moderated_by": related.names.get(question.moderated_by_id),
        "clip": clip_json(related.clips.get(question.pk)),
        "automod": hold_json(related.holds.get(question.pk)),
    }


def hold_json(hold: Any) -> dict[str, Any] | None:
    """Twitch AutoMod's hold on a chat question, if it held it (the chat app's AutoModHold)."""
    if hold is None:
        return None
    return {
        "label": hold.label(),
        "state": hold.state,
        "resolved_by": hold.resolved_by,
        "note": hold.twitch_note,
    }


def stream_state() -> dict[str, Any] | None:
    from streamer.state import read_state

    try:
        return read_state()
    except Exception:  # the queue must show even when Redis hiccups
        log.warning("could not read the stream state", exc_info=True)
        return None


def chat_mode() -> str:
    """hold | auto, as the chat reader applies it (the row exists once someone saved settings)."""
    from aijesus.chat.models import ChatSettings

    mode = ChatSettings.objects.filter(pk=ChatSettings.SINGLETON).values_list("mode", flat=True).first()
    return mode or ChatSettings.Mode.HOLD


def status_counts() -> dict[str, int]:
    """Questions per status: every live one (Question.LIVE, a partial index) and the others that
    reached their status within COUNT_WINDOW (the updated_at index). Counting every row instead
    read the whole history on each snapshot (a year of chat: ~0.2 s)."""
    since = timezone.now() - COUNT_WINDOW
    rows = Question.objects.filter(Q(status__in=Question.LIVE) | Q(updated_at__gte=since))
    counts = dict(rows.values_list("status").annotate(n=Count("id")).order_by())
    return {status: counts.get(status, 0) for status in Question.Status.values}


def queue_snapshot() -> dict[str, Any]:
    """The queue, the builds, what was handled, counts, persona and chat mode: no stream state."""
    rows, S = Question.objects.all(), Question.Status
    lists = {
        "pending": rows.filter(status=S.PENDING).order_by("-priority", "received_at")[:PENDING_LIMIT],
        "in_progress": rows.filter(status__in=IN_PROGRESS).order_by("moderated_at", "pk")[:PENDING_LIMIT],
        "recent": rows.exclude(status__in=[S.PENDING, *IN_PROGRESS]).order_by("-updated_at")[:RECENT_LIMIT],
    }
    questions = {key: list(listed) for key, listed in lists.items()}
    related = Related.of([q for listed in questions.values() for q in listed])
    active = Persona.objects.active()
    return {
        "type": "snapshot",
        "persona": active.name if active else None,
        "mode": chat_mode(),
        "counts": status_counts(),
        "counts_window_hours": COUNT_WINDOW.total_seconds() / 3600,
        **{key: [question_json(q, related) for q in listed] for key, listed in questions.items()},
    }


def studio_snapshot() -> dict[str, Any]:
    """Everything a page shows, the streamer's current state included (what a socket gets first)."""
    return {**queue_snapshot(), "stream": stream_state()}
