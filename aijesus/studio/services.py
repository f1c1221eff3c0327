"""Workflows that span models. Views, commands and tasks call these; they hold no HTTP or CLI."""

from __future__ import annotations

import unicodedata
from typing import Any

from django.conf import settings
from django.db import transaction

from aijesus.studio.broadcast import broadcast_on_commit
from aijesus.studio.models import Clip, Persona, Question


class SubmissionError(ValueError):
    """A question that cannot be queued, with a reason fit to show the person who sent it."""


def clean_question_text(text: str) -> str:
    """Minimal normalisation every source gets; the full prescreen lives with the chat reader."""
    text = unicodedata.normalize("NFKC", text)
    # Control, format (zero-width, bidi overrides) and other invisible characters: never meaning.
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    return " ".join(text.split())


def question_submit(
    *,
    text: str,
    viewer_name: str,
    source: str = Question.Source.MANUAL,
    viewer_id: str = "",
    channel: str = "",
    priority: float = 0.0,
) -> Question:
    cleaned = clean_question_text(text)
    if not cleaned:
        raise SubmissionError("the question is empty")
    limit = settings.QUESTION_MAX_CHARS
    if len(cleaned) > limit:
        raise SubmissionError(f"the question is {len(cleaned)} characters long; the limit is {limit}")
    viewer = clean_question_text(viewer_name)[:100] or "anonymous"
    with transaction.atomic():
        question = Question.objects.create(
            source=source,
            channel=channel,
            viewer_id=viewer_id,
            viewer_name=viewer,
            text=cleaned,
            original_text=text,
            priority=priority,
        )
        broadcast_on_commit("queue")
    return question


def question_approve(*, question: Question, by: Any = None, text: str | None = None) -> Clip:
    """Approve a pending question and queue its clip build with the active persona."""
    persona = Persona.objects.active()
    if persona is None:
        raise SubmissionError("no persona is active: activate one before approving questions")
    version = persona.latest_version() or persona.save_version(note="first version")
    with transaction.atomic():
        question.approve(by=by, text=text)
        clip = Clip.objects.create(question=question, persona_version=version)
        transaction.on_commit(lambda: _enqueue_build(clip.pk))
    return clip


def question_reject(*, question: Question, by: Any, reason: str) -> None:
    question.reject(by=by, reason=reason)


def _enqueue_build(clip_id: int) -> None:
    from builder.tasks import build_clip

    build_clip.delay(clip_id)
