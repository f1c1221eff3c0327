"""The full state a dashboard shows, as plain JSON (sent whole on connect and on every change)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count

from aijesus.studio.models import Persona, Question

PENDING_LIMIT = 200
RECENT_LIMIT = 50


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
    }


def studio_snapshot() -> dict[str, Any]:
    base = Question.objects.select_related("moderated_by")
    pending = base.filter(status=Question.Status.PENDING).order_by("-priority", "received_at")
    recent = base.exclude(status=Question.Status.PENDING).order_by("-updated_at")
    counts = dict(Question.objects.values_list("status").annotate(n=Count("id")).order_by())
    active = Persona.objects.active()
    return {
        "type": "snapshot",
        "persona": active.name if active else None,
        "counts": {status: counts.get(status, 0) for status in Question.Status.values},
        "pending": [question_json(q) for q in pending[:PENDING_LIMIT]],
        "recent": [question_json(q) for q in recent[:RECENT_LIMIT]],
    }
