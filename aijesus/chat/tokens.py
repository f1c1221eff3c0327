"""The connected Twitch accounts as the chat reader sees them: which one is the bot, and its
tokens in and out of the database (sealed at rest, see ``crypto``)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import connection

from aijesus.chat.crypto import Unreadable
from aijesus.chat.models import TwitchAccount

log = logging.getLogger(__name__)


def bot_account() -> TwitchAccount | None:
    """The account that reads chat: TWITCH_BOT_LOGIN if set, else the one connected last."""
    accounts = TwitchAccount.objects.all()
    if settings.TWITCH_BOT_LOGIN:
        return accounts.filter(login__iexact=settings.TWITCH_BOT_LOGIN).first()
    return accounts.order_by("-connected_at").first()


class DatabaseTokenStore:
    """``TokenStore`` for the Twitch source. Each call runs in one of the event loop's helper
    threads: its database connection is closed right after, not left open in an idle thread."""

    def load(self) -> list[tuple[str, str, str]]:
        found = []
        try:
            for account in TwitchAccount.objects.all():
                try:
                    access, refresh = account.tokens()
                except Unreadable:
                    log.warning(
                        "tokens of Twitch account %s cannot be read (TOKEN_ENCRYPTION_KEY changed?)", account
                    )
                    continue
                found.append((account.user_id, access, refresh))
        finally:
            connection.close()
        return found

    def save(self, user_id: str, access: str, refresh: str) -> None:
        try:
            if not TwitchAccount.save_refreshed(user_id=user_id, access=access, refresh=refresh):
                log.info("Twitch account %s was disconnected meanwhile; its new token is not kept", user_id)
        finally:
            connection.close()
