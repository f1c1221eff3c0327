"""Connecting a Twitch account from the dashboard: the OAuth authorization-code flow.

The moderator is sent to Twitch's consent page with a one-time ``state`` kept in their session;
Twitch sends them back with a code, which is exchanged (with the app's client secret, server to
server) for the account's tokens. The tokens are validated, sealed and stored; they are never
shown. Requests go through twitchio's own OAuth client, so they use the same Twitch addresses as
the reader (and the same local stand-in in tests).

Errors carry only what is safe to show: twitchio's HTTP errors include the request's query
string, which holds the client secret and the code.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from twitchio.authentication import OAuth
from twitchio.exceptions import HTTPException
from twitchio.http import Route

from aijesus.chat.screen.automod import MANAGE_SCOPE
from aijesus.chat.screen.automod import SCOPE as AUTOMOD_SCOPE
from aijesus.chat.sources.twitch import CHANNEL_SCOPES, CHAT_SCOPES

log = logging.getLogger(__name__)


class OAuthFailed(Exception):
    """The connection could not be made; the message is fit to show a moderator."""


@dataclass(frozen=True)
class Connected:
    user_id: str
    login: str
    scopes: list[str]
    access: str
    refresh: str


def configured() -> bool:
    return bool(settings.TWITCH_CLIENT_ID and settings.TWITCH_CLIENT_SECRET)


def scopes_for(owner: bool, automod: bool = False, holds: bool = False) -> list[str]:
    """What Connect Twitch asks for: chat; the owner's channel events; with the AutoMod check on,
    the owner's moderation:read; with held messages on, moderator:manage:automod (each asked
    only when its option is on)."""
    if not owner:
        return list(CHAT_SCOPES)
    extra = ([AUTOMOD_SCOPE] if automod else []) + ([MANAGE_SCOPE] if holds else [])
    return CHAT_SCOPES + CHANNEL_SCOPES + extra


def authorize_url(*, state: str, redirect_uri: str, scopes: list[str]) -> str:
    query = urlencode(
        {
            "client_id": settings.TWITCH_CLIENT_ID,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": " ".join(scopes),
            "state": state,
            "force_verify": "true",  # let the moderator pick the account, not the browser's last one
        }
    )
    return f"{Route.ID_BASE}oauth2/authorize?{query}"


def exchange(code: str, redirect_uri: str) -> Connected:
    return asyncio.run(_exchange(code, redirect_uri))


async def _exchange(code: str, redirect_uri: str) -> Connected:
    oauth = OAuth(
        client_id=settings.TWITCH_CLIENT_ID,
        client_secret=settings.TWITCH_CLIENT_SECRET,
        redirect_uri=redirect_uri,
    )
    try:
        tokens = await oauth.user_access_token(code, redirect_uri=redirect_uri)
        valid = await oauth.validate_token(tokens.access_token)
    except HTTPException as exc:
        log.warning("Twitch refused the authorization code (HTTP %s)", exc.status)
        raise OAuthFailed(f"Twitch refused the connection (HTTP {exc.status}); please try again") from None
    except OSError as exc:
        raise OAuthFailed(f"Twitch could not be reached ({type(exc).__name__})") from None
    finally:
        await oauth.close()
    if not valid.user_id or not valid.login:
        raise OAuthFailed("Twitch returned a token that belongs to no account")
    return Connected(
        valid.user_id, valid.login, list(valid.scopes), tokens.access_token, tokens.refresh_token
    )


def revoke(access: str) -> bool:
    """Tell Twitch to forget the token (best effort: disconnecting works even if this fails)."""

    async def run() -> None:
        oauth = OAuth(client_id=settings.TWITCH_CLIENT_ID, client_secret=settings.TWITCH_CLIENT_SECRET)
        try:
            await oauth.revoke_token(access)
        finally:
            await oauth.close()

    try:
        asyncio.run(run())
    except (HTTPException, OSError) as exc:
        log.warning(
            "revoking a Twitch token failed (%s); the account is disconnected here anyway", type(exc).__name__
        )
        return False
    return True
