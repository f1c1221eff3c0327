"""A Twitch account connected from the dashboard, its tokens sealed (see ``crypto``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from aijesus.chat.crypto import seal, unseal


class TwitchAccount(models.Model):
    user_id = models.CharField(max_length=40, unique=True)
    login = models.CharField(max_length=60)
    scopes = models.TextField(blank=True, help_text="Granted scopes, space-separated.")
    access_token = models.TextField(editable=False)  # sealed
    refresh_token = models.TextField(editable=False)  # sealed
    connected_at = models.DateTimeField(default=timezone.now)
    connected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    refreshed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-connected_at"]

    def __str__(self) -> str:
        return self.login

    def __repr__(self) -> str:  # never the tokens, even sealed
        return f"<TwitchAccount {self.login} ({self.user_id})>"

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()

    def tokens(self) -> tuple[str, str]:
        """(access, refresh) in clear. Raises ``crypto.Unreadable`` when TOKEN_ENCRYPTION_KEY no
        longer opens them."""
        return unseal(self.access_token), unseal(self.refresh_token)

    def set_tokens(self, access: str, refresh: str) -> None:
        self.access_token = seal(access)
        self.refresh_token = seal(refresh)

    @classmethod
    def store(
        cls, *, user_id: str, login: str, access: str, refresh: str, scopes: list[str], by: object = None
    ) -> TwitchAccount:
        account = cls.objects.filter(user_id=user_id).first() or cls(user_id=user_id)
        account.login = login
        account.scopes = " ".join(sorted(scopes))
        account.set_tokens(access, refresh)
        account.connected_at = timezone.now()
        account.connected_by = by if getattr(by, "pk", None) else None
        account.save()
        return account

    @classmethod
    def save_refreshed(cls, *, user_id: str, access: str, refresh: str) -> bool:
        """Keep tokens twitchio refreshed; False when the account was disconnected meanwhile."""
        return bool(
            cls.objects.filter(user_id=user_id).update(
                access_token=seal(access), refresh_token=seal(refresh), refreshed_at=timezone.now()
            )
        )
