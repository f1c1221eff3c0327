"""Who did what, when: every moderator action on the queue, clips and stream is one row."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone


class ModeratorAction(models.Model):
    class Kind(models.TextChoices):
        APPROVE = "approve", "Approved"
        EDIT = "edit", "Edited the text"
        REJECT = "reject", "Rejected"
        BUMP = "bump", "Bumped priority"
        CANCEL = "cancel", "Cancelled a build"
        RETRY = "retry", "Retried a build"
        REAIR = "reair", "Re-aired a clip"
        DELETE = "delete", "Deleted a clip"
        STREAM = "stream", "Stream command"
        PERSONA = "persona", "Changed a persona"
        AVATAR = "avatar", "Changed an avatar"
        CHAT = "chat", "Changed the chat settings"
        SYSTEM = "system", "Tested a service"
        VOICE = "voice", "Installed a voice"
        AUTOMOD = "automod", "Twitch AutoMod"
        USERS = "users", "Changed a user's access"
        KEYS = "keys", "Set an engine address and key"
        STAR = "star", "Starred or unstarred a clip"

    at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    question = models.ForeignKey(
        "studio.Question", null=True, blank=True, on_delete=models.CASCADE, related_name="actions"
    )
    clip = models.ForeignKey(
        "studio.Clip", null=True, blank=True, on_delete=models.CASCADE, related_name="actions"
    )
    detail = models.TextField(blank=True)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.user} {self.kind}"

    @classmethod
    def record(cls, kind: str, *, by: Any, detail: str = "", **targets: Any) -> ModeratorAction:
        return cls.objects.create(
            kind=kind, user=by if getattr(by, "pk", None) else None, detail=detail, **targets
        )
