"""A viewer's question and its life: pending → approved/rejected/dropped → building → ready → aired."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from aijesus.studio.models.base import StatusMachine

# Waiting or in progress: a few hundred rows at most, however long the history. Partial indexes
# over these keep the queue's queries small when a year of handled questions sits beside them.
LIVE_STATUSES = ("pending", "approved", "building", "ready")


class Question(StatusMachine):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        DROPPED = "dropped", "Dropped"
        BUILDING = "building", "Building"
        READY = "ready", "Ready"
        AIRED = "aired", "Aired"
        FAILED = "failed", "Failed"

    class Source(models.TextChoices):
        TWITCH = "twitch", "Twitch chat"
        REPLAY = "replay", "Chat replay"
        MANUAL = "manual", "Command line / dashboard"

    S = Status
    LIVE = LIVE_STATUSES
    # Moderation moves only. From approval on, the status follows the question's current clip and
    # only aijesus/studio/lifecycle.py writes it (approved, building, ready, aired, failed).
    TRANSITIONS = {
        S.PENDING: frozenset({S.APPROVED, S.REJECTED, S.DROPPED}),
        S.REJECTED: frozenset({S.PENDING}),
        S.DROPPED: frozenset({S.PENDING}),
        S.FAILED: frozenset({S.APPROVED}),
    }

    source = models.CharField(max_length=10, choices=Source.choices, default=Source.MANUAL)
    channel = models.CharField(max_length=100, blank=True)
    viewer_id = models.CharField(max_length=100, blank=True)
    viewer_name = models.CharField(max_length=100)
    text = models.TextField(help_text="What will be answered (a moderator may edit it).")
    original_text = models.TextField(help_text="Exactly what the viewer sent.")
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    priority = models.FloatField(default=0.0, db_index=True)
    priority_reason = models.CharField(max_length=200, blank=True)
    prescreen_verdict = models.CharField(max_length=20, default="unscreened")
    prescreen_reason = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    status_reason = models.TextField(blank=True, help_text="Why it was rejected, dropped or failed.")
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    moderated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-priority", "received_at"]
        indexes = [
            models.Index(
                fields=["status", "-priority", "received_at"],
                condition=models.Q(status__in=LIVE_STATUSES),
                name="question_live_idx",
            )
        ]
        permissions = [("moderate", "Can moderate the studio (dashboard, queue, stream)")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.viewer_name}: {self.text[:60]}"

    def after_move(self) -> None:
        from aijesus.studio.broadcast import broadcast_on_commit

        broadcast_on_commit("queue")

    # -- moderation
    def approve(self, *, by: Any = None, text: str | None = None) -> None:
        fields: dict[str, Any] = {"moderated_by": by, "moderated_at": timezone.now()}
        if text is not None and text.strip():
            fields["text"] = text.strip()
        self._move(self.S.APPROVED, status_reason="", **fields)

    def reject(self, *, by: Any, reason: str) -> None:
        if not reason.strip():
            raise ValueError("a rejection needs a reason")
        self._move(
            self.S.REJECTED, moderated_by=by, moderated_at=timezone.now(), status_reason=reason.strip()
        )

    def drop(self, *, reason: str) -> None:
        """Removed by the system (prescreen, queue cap, merge): the reason stays on the row."""
        self._move(self.S.DROPPED, status_reason=reason)

    def reopen(self, *, by: Any) -> None:
        self._move(self.S.PENDING, moderated_by=by, moderated_at=timezone.now(), status_reason="")
