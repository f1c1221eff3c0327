"""A chat question Twitch's AutoMod held for moderators, and how the hold was resolved.

The row is the link between our queue and Twitch's: the question waits in our queue like any
flagged one; once a moderator approves or rejects it here, the chat reader tells Twitch (ALLOW or
DENY) and notes the answer (``twitch_note``); once someone resolves it on Twitch, the reader moves
our question to match. ``state`` is the hold's state on Twitch as far as we know it.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class AutoModHold(models.Model):
    class State(models.TextChoices):
        HELD = "held", "Held by Twitch"
        APPROVED = "approved", "Allowed into chat"
        DENIED = "denied", "Denied"
        EXPIRED = "expired", "Expired on Twitch"
        INVALID = "invalid", "No longer valid on Twitch"

    question = models.OneToOneField("studio.Question", on_delete=models.CASCADE, related_name="automod_hold")
    message_id = models.CharField(max_length=100, unique=True)
    reason = models.CharField(max_length=20, help_text="automod or blocked_term")
    category = models.CharField(max_length=60, blank=True)
    level = models.PositiveSmallIntegerField(default=0)
    held_at = models.DateTimeField(default=timezone.now)
    state = models.CharField(max_length=10, choices=State.choices, default=State.HELD, db_index=True)
    resolved_by = models.CharField(max_length=100, blank=True, help_text="Who resolved it, and where.")
    resolved_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Calls made to resolve it on Twitch.")
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    twitch_note = models.CharField(max_length=300, blank=True, help_text="Twitch's answer to our ALLOW/DENY.")

    class Meta:
        ordering = ["-held_at"]

    def __str__(self) -> str:
        return f"hold {self.message_id} ({self.state})"

    def label(self) -> str:
        if self.reason == "blocked_term":
            return "blocked term"
        return f"{self.category or 'AutoMod'} · level {self.level}"
