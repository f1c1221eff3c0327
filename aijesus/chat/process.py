"""Whether `make run` starts a chat reader, and how: only when there is chat to read."""

from __future__ import annotations

from django.conf import settings


def chat_command() -> str | None:
    """The Procfile command for the chat reader, or None (a fresh machine has no Twitch set up)."""
    if settings.CHAT_SOURCE == "twitch":
        if settings.TWITCH_CLIENT_ID and settings.TWITCH_CLIENT_SECRET and settings.TWITCH_CHANNEL:
            return "python manage.py readchat"
        return None
    if settings.CHAT_REPLAY_FILE:
        # --stay: honcho stops every process when one exits; the reader outlives its recording.
        return "python manage.py readchat --stay"
    return None
