"""Filling the ingest's window from the database, and keeping it in step before every batch."""

from __future__ import annotations

import re
from datetime import timedelta

from django.utils import timezone

from aijesus.chat.message import Support, viewer_key
from aijesus.chat.models import SupportEvent
from aijesus.chat.priority import Credit
from aijesus.chat.screen.duplicates import Signature
from aijesus.chat.screen.text import fold, words
from aijesus.chat.window import ACTIVE, PENDING, Entry, Window
from aijesus.studio.models import Question

CHAT_SOURCES = (Question.Source.TWITCH, Question.Source.REPLAY)
ACTIVE_STATUSES = (Question.Status.APPROVED, Question.Status.BUILDING, Question.Status.READY)
_MERGES = re.compile(r"(\d+) duplicates? merged")


def load(window: Window) -> None:
    """A fresh window after a (re)start: waiting questions, cooldowns, unspent support."""
    sync(window)
    now = timezone.now()
    recent = (
        Question.objects.filter(
            source__in=CHAT_SOURCES, received_at__gte=now - timedelta(seconds=window.cooldown)
        )
        .exclude(status=Question.Status.DROPPED)
        .values_list("viewer_id", "viewer_name", "received_at")
    )
    for viewer_id, viewer_name, received in recent:
        key = viewer_key(viewer_id, viewer_name)
        window.last_question[key] = max(window.last_question.get(key, 0.0), received.timestamp())
    unspent = SupportEvent.objects.filter(
        question__isnull=True, received_at__gte=now - timedelta(seconds=window.support_window)
    ).order_by("received_at")
    for row in unspent:
        support = Support(
            row.viewer_id, row.viewer_name, row.kind, row.amount, row.detail, row.channel,
            row.received_at.timestamp(),
        )  # fmt: skip
        credit = Credit(row.label, row.value, row.received_at.timestamp(), support, row=row.pk)
        window.credits.setdefault(support.viewer_key, []).append(credit)


def sync(window: Window) -> None:
    """Bring the waiting and in-progress questions in line with the database.

    Moderators approve, reject and bump while chat flows; the dashboard's `ask` adds questions.
    One query reads every waiting or in-progress question's id, status and priority (a few hundred
    rows at most, bounded by the queue cap); the text is read only for rows new to the window.
    """
    rows = Question.objects.filter(status__in=(Question.Status.PENDING, *ACTIVE_STATUSES)).values_list(
        "id", "status", "priority", "priority_reason"
    )
    current = {pk: (status, priority, reason) for pk, status, priority, reason in rows}
    for key in [k for k in window.entries if k > 0 and k not in current]:
        window.remove(key)
    unknown = [pk for pk in current if pk not in window.entries]
    for pk, (status, priority, reason) in current.items():
        entry = window.entries.get(pk)
        if entry is None:
            continue
        entry.priority, entry.reason = priority, reason
        wanted = PENDING if status == Question.Status.PENDING else ACTIVE
        if entry.status != wanted:
            window.set_status(entry, wanted)
    if unknown:
        for row in Question.objects.filter(pk__in=unknown).values(
            "id",
            "status",
            "priority",
            "priority_reason",
            "viewer_id",
            "viewer_name",
            "source",
            "text",
            "received_at",
        ):
            window.add(_entry(row))


def _entry(row: dict) -> Entry:
    chat = row["source"] in CHAT_SOURCES
    merged = _MERGES.search(row["priority_reason"])
    return Entry(
        key=row["id"],
        viewer=viewer_key(row["viewer_id"], row["viewer_name"]) if chat else "",
        priority=row["priority"],
        reason=row["priority_reason"],
        status=PENDING if row["status"] == Question.Status.PENDING else ACTIVE,
        evictable=chat,
        signature=Signature.of(words(fold(row["text"]))),
        received_at=row["received_at"].timestamp(),
        merges=int(merged.group(1)) if merged else 0,
    )
