"""The chat settings moderators change live from the dashboard: one row, read by the reader
before every batch, so a switch to auto-approve or a new banned word applies within a second."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.utils import timezone


class ChatSettings(models.Model):
    class Mode(models.TextChoices):
        HOLD = "hold", "Hold every question for a moderator"
        AUTO = "auto", "Auto-approve what passes the prescreen"

    class Injection(models.TextChoices):
        FLAG = "flag", "Hold for a moderator (never auto-approved)"
        DROP = "drop", "Drop"

    SINGLETON = 1

    mode = models.CharField(max_length=4, choices=Mode.choices, default=Mode.HOLD)
    require_prefix = models.BooleanField(
        default=False, help_text="Only messages starting with the command prefix become questions."
    )
    command_prefix = models.CharField(max_length=20, default="!ask")
    banned_words = models.TextField(
        blank=True,
        help_text="One word or phrase per line; end a word with * to match it inside longer words too.",
    )
    cooldown_seconds = models.PositiveIntegerField(
        default=60, validators=[MaxValueValidator(86_400)], help_text="Between two questions of one viewer."
    )
    pending_cap = models.PositiveIntegerField(
        default=500,
        validators=[MinValueValidator(1), MaxValueValidator(10_000)],
        help_text="Most chat questions waiting; beyond it the lowest priority is dropped.",
    )
    min_chars = models.PositiveIntegerField(default=5, validators=[MaxValueValidator(200)])
    max_chars = models.PositiveIntegerField(
        default=500, validators=[MinValueValidator(20), MaxValueValidator(10_000)]
    )
    drop_links = models.BooleanField(default=True)
    injection = models.CharField(max_length=4, choices=Injection.choices, default=Injection.FLAG)
    moderation_check = models.BooleanField(
        default=False, help_text="Ask the OpenAI moderations endpoint about each question."
    )
    guardrail_check = models.BooleanField(
        default=False, help_text="Ask the LLM whether a question is prompt injection or off-topic."
    )
    replies = models.BooleanField(
        default=False, help_text="Tell viewers their place in the queue and when they were answered."
    )
    automod_check = models.BooleanField(
        default=False,
        help_text="Ask Twitch's AutoMod (at the channel's own level) about each question; needs the "
        "channel owner's account connected with moderation:read.",
    )
    automod_holds = models.BooleanField(
        default=False,
        help_text="Show questions Twitch's AutoMod holds in our queue, and resolve them on Twitch from "
        "here; needs the channel owner's account connected with moderator:manage:automod.",
    )
    automod_status = models.CharField(
        max_length=300, blank=True, help_text="Why the AutoMod check turned itself off, if it did."
    )
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The reader's own bookkeeping (never in the form).
    aged_at = models.DateTimeField(null=True, blank=True, help_text="Waiting-time priority added up to here.")
    replied_until = models.DateTimeField(
        null=True, blank=True, help_text="'Answered on air' sent up to here."
    )

    class Meta:
        verbose_name = verbose_name_plural = "chat settings"

    def __str__(self) -> str:
        return "Chat settings"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.pk = self.SINGLETON
        super().save(*args, **kwargs)

    @classmethod
    def switch_mode(cls, mode: str, *, by: Any) -> None:
        """Hold or auto-approve, from any page: recorded in the moderator log, pushed to dashboards."""
        from aijesus.studio.broadcast import broadcast_on_commit
        from aijesus.studio.models import ModeratorAction

        if mode not in cls.Mode.values:
            raise ValueError(f"mode must be one of {', '.join(cls.Mode.values)}")
        with transaction.atomic():
            cls.load()
            cls.objects.filter(pk=cls.SINGLETON).update(mode=mode, updated_at=timezone.now(), updated_by=by)
            ModeratorAction.record("chat", by=by, detail=f"mode {mode}")
            broadcast_on_commit("queue")

    @classmethod
    def load(cls) -> ChatSettings:
        row, _ = cls.objects.get_or_create(pk=cls.SINGLETON)
        return row

    def effective_max_chars(self) -> int:
        return min(self.max_chars, settings.QUESTION_MAX_CHARS)
