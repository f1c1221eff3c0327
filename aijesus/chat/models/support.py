"""Support from viewers (subs, gifted subs, redemptions, cheers): kept, and linked to the question
whose priority it raised. Unspent support within the window is reloaded after a restart."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class SupportEvent(models.Model):
    class Kind(models.TextChoices):
        SUB = "sub", "Subscribed"
        RESUB = "resub", "Resubscribed"
        GIFT = "gift", "Gifted subs"
        REDEMPTION = "redemption", "Channel-points redemption"
        CHEER = "cheer", "Cheered"

    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    channel = models.CharField(max_length=100, blank=True)
    viewer_id = models.CharField(max_length=100, blank=True)
    viewer_name = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    amount = models.FloatField(default=1.0, help_text="Tier, number of subs gifted, or bits.")
    detail = models.CharField(max_length=200, blank=True)
    label = models.CharField(max_length=100)
    value = models.FloatField(help_text="Priority it is worth.")
    question = models.ForeignKey(
        "studio.Question", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["question", "received_at"])]

    def __str__(self) -> str:
        return f"{self.viewer_name}: {self.label}"
