"""Workflows that span models. Views, commands and tasks call these; they hold no HTTP or CLI."""

from __future__ import annotations

import unicodedata
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, Value, When
from django.db.models.functions import Concat, Right

from aijesus.studio import lifecycle
from aijesus.studio.broadcast import broadcast_on_commit
from aijesus.studio.models import Clip, IllegalTransition, ModeratorAction, Persona, Question, StaleState


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
    version = persona.ensure_version(note="first version")
    edited = clean_question_text(text or "")
    if text is not None and not edited:
        raise SubmissionError("the edited question is empty")
    before = question.text
    with transaction.atomic():
        question.approve(by=by, text=edited or None)
        clip = lifecycle.enqueue(question=question, version=version)
        if edited and edited != before:
            ModeratorAction.record("edit", by=by, question=question, detail=f"was: {before}")
        if by is not None:
            ModeratorAction.record("approve", by=by, question=question, clip=clip)
    return clip


def question_reject(*, question: Question, by: Any, reason: str) -> None:
    with transaction.atomic():
        question.reject(by=by, reason=reason)
        ModeratorAction.record("reject", by=by, question=question, detail=reason)


def questions_bulk_reject(*, ids: list[int], by: Any, reason: str) -> tuple[list[int], dict[int, str]]:
    """Reject every pending question of `ids`; returns (rejected ids, {id: why not} for the rest)."""
    done: list[int] = []
    refused: dict[int, str] = {}
    found = {q.pk: q for q in Question.objects.filter(pk__in=ids)}
    for pk in ids:
        question = found.get(pk)
        if question is None:
            refused[pk] = "no such question"
            continue
        try:
            question_reject(question=question, by=by, reason=reason)
        except (IllegalTransition, StaleState) as exc:
            refused[pk] = str(exc)
        else:
            done.append(pk)
    return done, refused


def question_bump(*, question: Question, by: Any, amount: float) -> float:
    """Raise a pending question's priority; the reason line says who bumped it."""
    if question.status != Question.Status.PENDING:
        raise IllegalTransition(
            f"question {question.pk} is {question.status}: only pending questions can be bumped"
        )
    name = by.get_username() if by is not None else "system"
    note = f"+{amount:g} bumped by {name}"
    # One UPDATE computes both from the row as it is now: a bump or chat boost landing meanwhile
    # adds to ours instead of being overwritten by what we read before.
    with transaction.atomic():
        updated = Question.objects.filter(pk=question.pk, status=Question.Status.PENDING).update(
            priority=F("priority") + amount,
            priority_reason=Case(
                When(priority_reason="", then=Value(note)),
                default=Right(Concat(F("priority_reason"), Value("; "), Value(note)), 200),
            ),
        )
        if not updated:
            raise StaleState(f"question {question.pk} was moderated meanwhile: it can no longer be bumped")
        question.refresh_from_db(fields=["priority", "priority_reason"])
        ModeratorAction.record("bump", by=by, question=question, detail=f"+{amount:g}")
        broadcast_on_commit("queue")
    return question.priority


def clip_cancel(*, clip: Clip, by: Any) -> None:
    """Stop a queued or building clip. The worker notices at its next step and keeps nothing;
    the question fails with the reason, so it can be retried."""
    name = by.get_username() if by is not None else "system"
    reason = f"build cancelled by {name}"
    with transaction.atomic():
        if not lifecycle.cancel(clip=clip, reason=reason):
            clip.refresh_from_db(fields=["status"])
            raise IllegalTransition(f"clip {clip.pk} is {clip.status}: only queued or building clips stop")
        clip.refresh_from_db()
        ModeratorAction.record("cancel", by=by, clip=clip, question=clip.question)


def clip_retry(*, question: Question, by: Any) -> Clip:
    """Build a failed question's answer again, with the persona active now."""
    if question.status != Question.Status.FAILED:
        raise IllegalTransition(
            f"question {question.pk} is {question.status}: only failed questions are retried"
        )
    persona = Persona.objects.active()
    if persona is None:
        raise SubmissionError("no persona is active: activate one before retrying")
    version = persona.ensure_version(note="first version")
    with transaction.atomic():
        question.approve(by=by)
        clip = lifecycle.enqueue(question=question, version=version)
        ModeratorAction.record("retry", by=by, question=question, clip=clip)
    return clip


def clip_delete(*, clip: Clip, by: Any, reason: str) -> None:
    if not reason.strip():
        raise SubmissionError("deleting a clip needs a reason")
    with transaction.atomic():
        clip.soft_delete(by=by, reason=reason.strip())
        ModeratorAction.record("delete", by=by, clip=clip, question=clip.question, detail=reason.strip())
        broadcast_on_commit("clips")
