"""A clip (the answer as audio + video) and its segments, which let the streamer start early."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F
from django.utils import timezone

from aijesus.studio.models.base import IllegalTransition, StaleState, StatusMachine
from aijesus.studio.models.persona import PersonaVersion
from aijesus.studio.models.question import Question


class Clip(StatusMachine):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        BUILDING = "building", "Building"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    S = Status
    TRANSITIONS = {
        S.QUEUED: frozenset({S.BUILDING, S.CANCELLED}),
        S.BUILDING: frozenset({S.READY, S.FAILED, S.CANCELLED, S.QUEUED}),
        S.FAILED: frozenset({S.QUEUED}),
        S.CANCELLED: frozenset({S.QUEUED}),
        S.READY: frozenset(),
    }

    question = models.ForeignKey(
        Question, null=True, blank=True, on_delete=models.PROTECT, related_name="clips"
    )
    persona_version = models.ForeignKey(PersonaVersion, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    error = models.TextField(blank=True)
    answer_text = models.TextField(blank=True)
    audio = models.FileField(upload_to="clips/", blank=True)
    video = models.FileField(upload_to="clips/", blank=True)
    subtitles = models.FileField(upload_to="clips/", blank=True)
    thumbnail = models.FileField(upload_to="clips/", blank=True)
    duration = models.FloatField(null=True, blank=True, help_text="Seconds.")
    timings = models.JSONField(default=dict, blank=True, help_text="Per-stage seconds.")
    lipsync_engine = models.CharField(max_length=20, blank=True)
    claimed_by = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    progress = models.JSONField(
        default=dict, blank=True, help_text="While building: stage, sentences written, segments ready."
    )
    aired_count = models.PositiveIntegerField(default=0)
    first_aired_at = models.DateTimeField(
        null=True, blank=True, help_text="Approval → on-air latency ends here."
    )
    last_aired_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    delete_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"clip {self.pk} ({self.status})"

    def after_move(self) -> None:
        from aijesus.studio.broadcast import broadcast_on_commit

        broadcast_on_commit("clips")

    def claim(self, *, worker: str) -> bool:
        """Take a queued clip for building. False if it is not queued (any more): of two workers
        claiming at once, exactly one gets True."""
        try:
            self._move(self.S.BUILDING, claimed_by=worker, started_at=timezone.now(), error="")
        except (IllegalTransition, StaleState):
            return False
        return True

    def mark_ready(self, **results: Any) -> None:
        self._move(self.S.READY, finished_at=timezone.now(), **results)

    def fail(self, *, reason: str) -> None:
        self._move(self.S.FAILED, error=reason, finished_at=timezone.now())

    def cancel(self, *, reason: str) -> None:
        self._move(self.S.CANCELLED, error=reason, finished_at=timezone.now())

    def requeue(self) -> None:
        self._move(self.S.QUEUED, claimed_by="", started_at=None, finished_at=None, error="")

    def release(self, *, reason: str) -> None:
        """Give a claimed clip back to the queue (a transient error; the build will be retried)."""
        self._move(self.S.QUEUED, claimed_by="", error=reason)

    def record_aired(self) -> None:
        now = timezone.now()
        Clip.objects.filter(pk=self.pk).update(aired_count=F("aired_count") + 1, last_aired_at=now)
        Clip.objects.filter(pk=self.pk, first_aired_at__isnull=True).update(first_aired_at=now)
        self.refresh_from_db(fields=["aired_count", "last_aired_at", "first_aired_at"])

    def soft_delete(self, *, by: Any, reason: str) -> None:
        """Hide from the library; the row and who/why stay (nothing is deleted silently)."""
        self.deleted_at, self.deleted_by, self.delete_reason = timezone.now(), by, reason
        self.save(update_fields=["deleted_at", "deleted_by", "delete_reason"])


class Segment(models.Model):
    """One encoded piece of a clip, playable alone; the streamer airs them in index order."""

    clip = models.ForeignKey(Clip, on_delete=models.CASCADE, related_name="segments")
    index = models.PositiveIntegerField()
    media = models.FileField(upload_to="segments/")
    duration = models.FloatField(help_text="Seconds.")
    text = models.TextField(blank=True, help_text="The sentence spoken in this segment.")
    ready_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["clip", "index"]
        constraints = [models.UniqueConstraint(fields=["clip", "index"], name="unique_segment_index")]

    def __str__(self) -> str:
        return f"clip {self.clip_id} segment {self.index}"
