"""Writing a batch's plan: a few bulk statements, whatever the batch size.

1. the accepted questions (bulk insert; their ids become known),
2. the dropped ones, whose reasons may name those ids ("merged into #812"),
3. priority gained by questions already waiting (one UPDATE, a CASE per row),
4. questions already waiting that the queue cap drops (one UPDATE),
5. support events, linked to the question they raised or were spent on.

The caller holds the transaction; ``decide`` already made every choice.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from django.db.models import Case, F, FloatField, Value, When
from django.utils import timezone

from aijesus.chat.decide import Decided, Plan
from aijesus.chat.models import SupportEvent
from aijesus.chat.window import PENDING, Window
from aijesus.studio.models import Question

BATCH = 1000  # rows per INSERT statement


def write(plan: Plan, window: Window, *, source: str, channel: str) -> list[tuple[Decided, Question]]:
    """Write `plan`; returns the accepted (waiting) questions with their decisions."""
    now = timezone.now()
    accepted = [d for d in plan.questions if d.status == PENDING]
    rows = Question.objects.bulk_create([_row(d, source, channel, now) for d in accepted], batch_size=BATCH)
    for decided, row in zip(accepted, rows, strict=True):
        window.rekey(decided.entry.key, row.pk)
        decided.entry.boost = 0.0
    dropped = [d for d in plan.questions if d.status != PENDING]
    # Rows that other rows point at (evicted in this batch) first, so their ids exist for the others.
    first = [d for d in dropped if d.target is None]
    for decided, row in zip(first, _insert(first, source, channel, now), strict=True):
        if decided.entry is not None:
            decided.entry.key = row.pk
    _insert([d for d in dropped if d.target is not None], source, channel, now)
    _boost(plan.boosted)
    _evict(plan.evicted, now)
    _supports(plan, accepted, rows)
    return list(zip(accepted, rows, strict=True))


def db_text(value: str) -> str:
    """Chat text as stored: PostgreSQL text cannot hold NUL, so it becomes U+FFFD (kept visible)."""
    return value.replace("\x00", "\ufffd")


def _row(decided: Decided, source: str, channel: str, now: datetime) -> Question:
    message, entry = decided.message, decided.entry
    status_reason = decided.drop_reason
    if decided.target is not None:
        status_reason = status_reason.replace("{target}", str(decided.target.key))
    return Question(
        source=source,
        channel=db_text(message.channel or channel)[:100],
        viewer_id=db_text(message.viewer_id)[:100],
        viewer_name=db_text(message.viewer_name or "anonymous")[:100],
        text=decided.text,
        original_text=db_text(message.text),
        received_at=datetime.fromtimestamp(message.received_at, tz=UTC),
        priority=entry.priority if entry is not None else 0.0,
        priority_reason=entry.reason[:200] if entry is not None else "",
        prescreen_verdict=decided.verdict,
        prescreen_reason=(status_reason or decided.reason)[:300],
        status=decided.status,
        status_reason=status_reason,
        updated_at=now,
    )


def _insert(decided: list[Decided], source: str, channel: str, now: datetime) -> list[Question]:
    if not decided:
        return []
    return Question.objects.bulk_create([_row(d, source, channel, now) for d in decided], batch_size=BATCH)


def _boost(entries: Iterable) -> None:
    """Add each row's gain to its current priority (a moderator's bump meanwhile is kept)."""
    entries = [e for e in entries if e.boost]
    if not entries:
        return
    gain = Case(*(When(pk=e.key, then=Value(e.boost)) for e in entries), output_field=FloatField())
    reason = Case(*(When(pk=e.key, then=Value(e.reason[:200])) for e in entries))
    Question.objects.filter(pk__in=[e.key for e in entries], status=Question.Status.PENDING).update(
        priority=F("priority") + gain, priority_reason=reason
    )
    for entry in entries:
        entry.boost = 0.0


def _evict(entries: list, now: datetime) -> None:
    if not entries:
        return
    reason = Case(*(When(pk=e.key, then=Value(e.eviction)) for e in entries))
    # Conditional, like every status move: a question a moderator approved meanwhile stays approved.
    Question.objects.filter(pk__in=[e.key for e in entries], status=Question.Status.PENDING).update(
        status=Question.Status.DROPPED, status_reason=reason, updated_at=now
    )


def _supports(plan: Plan, accepted: list[Decided], rows: list[Question]) -> None:
    spent_by: dict[int, int] = {}  # id(credit) → question id
    earlier: dict[int, list[int]] = {}  # question id → SupportEvent rows spent from earlier batches
    for decided, row in zip(accepted, rows, strict=True):
        for credit in decided.credits:
            if credit.row is None:
                spent_by[id(credit)] = row.pk
            else:
                earlier.setdefault(row.pk, []).append(credit.row)
    for question_id, support_ids in earlier.items():
        SupportEvent.objects.filter(pk__in=support_ids).update(question_id=question_id)
    if not plan.supports:
        return
    events = []
    for done in plan.supports:
        support = done.support
        if done.entry is not None:
            question_id = done.entry.key if done.entry.key > 0 else None
        else:
            question_id = spent_by.get(id(done.credit))
        events.append(
            SupportEvent(
                received_at=datetime.fromtimestamp(support.received_at, tz=UTC),
                channel=db_text(support.channel)[:100],
                viewer_id=db_text(support.viewer_id)[:100],
                viewer_name=db_text(support.viewer_name or "anonymous")[:100],
                kind=support.kind,
                amount=support.amount,
                detail=db_text(support.detail)[:200],
                label=done.label[:100],
                value=done.value,
                question_id=question_id,
            )
        )
    for done, event in zip(plan.supports, SupportEvent.objects.bulk_create(events), strict=True):
        if done.credit is not None and event.question_id is None:
            done.credit.row = event.pk
