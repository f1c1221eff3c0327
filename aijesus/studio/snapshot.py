"""What a dashboard shows, as plain JSON.

`studio_snapshot` is everything (sent once when a socket connects); `queue_snapshot` is the same
without the streamer's state (sent after each committed queue change: the stream's state reaches
open pages in messages of its own, about once a second, and must not rebuild the queue).
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Count, Prefetch

from aijesus.studio.models import Clip, Persona, Question

log = logging.getLogger(__name__)

PENDING_LIMIT = 200
RECENT_LIMIT = 50
IN_PROGRESS = [Question.Status.APPROVED, Question.Status.BUILDING]


def clip_json(clip: Clip | None) -> dict[str, Any] | None:
    if clip is None:
        return None
    return {
        "id": clip.pk,
        "status": clip.status,
        "error": clip.error,
        "segments": sum(1 for s in clip.segments.all() if s.attempt == clip.attempt),
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


def latest_clip(question: Question) -> Clip | None:
    clips = list(question.clips.all())
    return max(clips, key=lambda c: c.pk) if clips else None


def question_json(question: Question) -> dict[str, Any]:
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
        "moderated_by": question.moderated_by.get_username() if question.moderated_by else None,
        "clip": clip_json(latest_clip(question)),
        "automod": hold_json(question),
    }


def hold_json(question: Question) -> dict[str, Any] | None:
    """Twitch AutoMod's hold on a chat question, if it held it (the chat app's AutoModHold)."""
    try:
        hold = question.automod_hold  # type: ignore[attr-defined]
    except ObjectDoesNotExist:
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


def queue_snapshot() -> dict[str, Any]:
    """The queue, the builds, what was handled, counts, persona and chat mode: no stream state."""
    clips = Clip.objects.prefetch_related("segments")
    base = Question.objects.select_related("moderated_by", "automod_hold").prefetch_related(
        Prefetch("clips", queryset=clips)
    )
    pending = base.filter(status=Question.Status.PENDING).order_by("-priority", "received_at")
    working = base.filter(status__in=IN_PROGRESS).order_by("moderated_at", "pk")
    recent = base.exclude(status__in=[Question.Status.PENDING, *IN_PROGRESS]).order_by("-updated_at")
    counts = dict(Question.objects.values_list("status").annotate(n=Count("id")).order_by())
    active = Persona.objects.active()
    return {
        "type": "snapshot",
        "persona": active.name if active else None,
        "mode": chat_mode(),
        "counts": {status: counts.get(status, 0) for status in Question.Status.values},
        "pending": [question_json(q) for q in pending[:PENDING_LIMIT]],
        "in_progress": [question_json(q) for q in working[:PENDING_LIMIT]],
        "recent": [question_json(q) for q in recent[:RECENT_LIMIT]],
    }


def studio_snapshot() -> dict[str, Any]:
    """Everything a page shows, the streamer's current state included (what a socket gets first)."""
    return {**queue_snapshot(), "stream": stream_state()}
