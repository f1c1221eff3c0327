"""A clip (the answer as audio + video) and its segments, which let the streamer start early."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from aijesus.studio.models.base import StatusMachine
from aijesus.studio.models.persona import PersonaVersion
from aijesus.studio.models.question import Question


class Clip(StatusMachine):
    """One answer to one question. Its status changes only through aijesus/studio/lifecycle.py."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        BUILDING = "building", "Building"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    S = Status

    question = models.ForeignKey(
        Question, null=True, blank=True, on_delete=models.PROTECT, related_name="clips"
    )
    persona_version = models.ForeignKey(PersonaVersion, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    error = models.TextField(blank=True)
    note = models.CharField(
        max_length=300, blank=True, help_text="Why this is a rebuild, e.g. after its worker stopped."
    )
    answer_text = models.TextField(blank=True)
    video = models.FileField(upload_to="clips/", blank=True)
    subtitles = models.FileField(upload_to="clips/", blank=True)
    thumbnail = models.FileField(upload_to="clips/", blank=True)
    duration = models.FloatField(null=True, blank=True, help_text="Seconds.")
    timings = models.JSONField(default=dict, blank=True, help_text="Per-stage seconds.")
    lipsync_engine = models.CharField(max_length=20, blank=True)
    attempt = models.PositiveSmallIntegerField(default=0, help_text="Build attempts claimed so far.")
    claimed_by = models.CharField(max_length=200, blank=True)
    enqueued_at = models.DateTimeField(
        null=True, blank=True, help_text="When a build task was last sent (empty: sending failed)."
    )
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="The building worker's last sign of life."
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    progress = models.JSONField(
        default=dict, blank=True, help_text="While building: stage, sentences written, segments ready."
    )
    on_air_since = models.DateTimeField(null=True, blank=True, help_text="Set while the clip airs.")
    aired_count = models.PositiveIntegerField(default=0, help_text="Whole airings (or skipped ones).")
    first_aired_at = models.DateTimeField(
        null=True, blank=True, help_text="First frame of the first whole airing: latency ends here."
    )
    last_aired_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    delete_reason = models.CharField(max_length=300, blank=True)
    # The disk budget (aijesus/studio/retention.py) removes the files of old aired clips; a starred
    # clip it never touches. The row stays, marked, so the library still lists what was said.
    starred = models.BooleanField(default=False, help_text="Kept by a moderator: its media is never removed.")
    media_removed_at = models.DateTimeField(
        null=True, blank=True, help_text="When its files were removed (disk budget or deletion)."
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "heartbeat_at"]),
            # The library's pages, newest first, read from the index alone (ids, then 24 rows).
            models.Index(
                fields=["created_at", "id"],
                condition=models.Q(status="ready", deleted_at__isnull=True),
                name="clip_library_idx",
            ),
            # The streamer's next answer (streamer/playout.py): never aired, building or ready; a
            # handful of rows among a year of aired ones.
            models.Index(
                fields=["created_at"],
                condition=models.Q(aired_count=0, deleted_at__isnull=True, status__in=["ready", "building"]),
                name="clip_fresh_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"clip {self.pk} ({self.status})"

    def soft_delete(self, *, by: Any, reason: str) -> None:
        """Hide from the library; the row and who/why stay (nothing is deleted silently)."""
        self.deleted_at, self.deleted_by, self.delete_reason = timezone.now(), by, reason
        self.save(update_fields=["deleted_at", "deleted_by", "delete_reason"])


class Segment(models.Model):
    """One encoded piece of a clip, playable alone; the streamer airs them in index order."""

    clip = models.ForeignKey(Clip, on_delete=models.CASCADE, related_name="segments")
    # Each build attempt writes its own segments: a streamer airing attempt 1 never mixes in 2's.
    attempt = models.PositiveSmallIntegerField(default=1)
    index = models.PositiveIntegerField()

    class Kind(models.TextChoices):
        VIDEO = "video", "Video (MP4)"
        SPEECH = "speech", "Speech (WAV + timings), drawn by the streamer at air time"

    kind = models.CharField(max_length=6, choices=Kind.choices, default=Kind.VIDEO)
    media = models.FileField(upload_to="segments/")
    duration = models.FloatField(help_text="Seconds.")
    text = models.TextField(blank=True, help_text="The sentence spoken in this segment.")
    ready_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["clip", "attempt", "index"]
        constraints = [
            models.UniqueConstraint(fields=["clip", "attempt", "index"], name="unique_segment_attempt_index")
        ]

    def __str__(self) -> str:
        return f"clip {self.clip_id} segment {self.index}"
