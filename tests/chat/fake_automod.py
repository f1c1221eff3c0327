"""The Twitch stand-in's AutoMod endpoint (Check AutoMod Status), in Helix's format."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from aiohttp import web


class AutoModEndpoint:
    """Mixed into FakeTwitch, which provides `_account_for` (the caller's account)."""

    def __init__(self) -> None:
        self.automod_requests: list[dict[str, Any]] = []
        self.automod_words: set[str] = set()
        self.automod_mode = "ok"
        self.automod_release = threading.Event()

    def add_automod_routes(self, app: web.Application) -> None:
        app.router.add_post("/helix/moderation/enforcements/status", self._automod_status)

    async def _automod_status(self, request: web.Request) -> web.Response:
        """Check AutoMod Status: a message holding one of `automod_words` is not permitted.
        `automod_mode`: "ok", "slow" (answers once `automod_release` is set), "fail" (500),
        "malformed" (200 without the format) or "gone" (404, as for a retired endpoint)."""
        from tests.chat.fake_twitch import Account, _error  # the module that mixes this in

        who = self._account_for(request)  # type: ignore[attr-defined]
        if not isinstance(who, Account):
            return _error(401, "invalid access token")
        broadcaster = request.query.get("broadcaster_id", "")
        if broadcaster != who.user_id or "moderation:read" not in who.scopes:
            return _error(403, "missing moderation:read")
        body = await request.json()
        self.automod_requests.append({"broadcaster_id": broadcaster, "data": body["data"]})
        if self.automod_mode == "gone":
            return _error(404, "not found")
        if self.automod_mode == "fail":
            return _error(500, "internal server error")
        if self.automod_mode == "malformed":
            return web.json_response({"data": "nope"})
        if self.automod_mode == "slow":
            await asyncio.to_thread(self.automod_release.wait, 30)
        data = [
            {
                "msg_id": row["msg_id"],
                "is_permitted": not any(w in row["msg_text"].lower() for w in self.automod_words),
            }
            for row in body["data"]
        ]
        return web.json_response({"data": data})
