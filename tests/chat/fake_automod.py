"""The Twitch stand-in's AutoMod side, in Helix's and EventSub's formats: Check AutoMod Status,
held messages (``automod.message.hold`` / ``automod.message.update`` v2) and Manage Held AutoMod
Messages (ALLOW / DENY), which resolves the hold and, for ALLOW, puts the message into chat."""

from __future__ import annotations

import asyncio
import threading
import uuid
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

MANAGE = "moderator:manage:automod"


class AutoModEndpoint:
    """Mixed into FakeTwitch, which provides `_account_for` (the caller's account)."""

    def __init__(self) -> None:
        self.automod_requests: list[dict[str, Any]] = []
        self.automod_words: set[str] = set()
        self.automod_mode = "ok"
        self.automod_release = threading.Event()
        self.held: dict[str, dict[str, Any]] = {}  # message id → its hold event, while held
        self.hold_actions: list[dict[str, Any]] = []  # Manage Held AutoMod Messages calls, as sent
        self.hold_mode = "ok"  # or "fail" (500 to every ALLOW / DENY), "slow" (until automod_release)

    def add_automod_routes(self, app: web.Application) -> None:
        app.router.add_post("/helix/moderation/enforcements/status", self._automod_status)
        app.router.add_post("/helix/moderation/automod/message", self._manage_held)

    @staticmethod
    def refuse_automod_subscription(body: dict[str, Any], scopes: list[str], user_id: str) -> str:
        """Why Twitch refuses an automod.message.* subscription ("" when it does not)."""
        if not body["type"].startswith("automod.message."):
            return ""
        if body["condition"].get("moderator_user_id") != user_id or MANAGE not in scopes:
            return f"subscription missing proper authorization: {MANAGE}"
        return ""

    # -- held messages, driven by the test
    def hold(
        self, channel: tuple[str, str], user: tuple[str, str], text: str, category: str, level: int
    ) -> str:
        """AutoMod holds a message in `channel`: its hold event goes out; returns the message id."""
        event = {
            "broadcaster_user_id": channel[0],
            "broadcaster_user_login": channel[1],
            "broadcaster_user_name": channel[1],
            "user_id": user[0],
            "user_login": user[1],
            "user_name": user[1].capitalize(),
            "message_id": str(uuid.uuid4()),
            "message": {
                "text": text,
                "fragments": [{"type": "text", "text": text, "cheermote": None, "emote": None}],
            },
            "reason": "automod",
            "automod": {"category": category, "level": level, "boundaries": [{"start_pos": 0, "end_pos": 3}]},
            "blocked_term": None,
            "held_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        }
        self.held[event["message_id"]] = event
        self.notify("automod.message.hold", event)  # type: ignore[attr-defined]
        return event["message_id"]

    def resolve_hold(self, message_id: str, status: str, moderator: tuple[str, str]) -> None:
        """Someone resolves a hold on Twitch (approved / denied / expired): the update goes out,
        and an approved message reaches chat with its own id, as on Twitch."""
        from tests.chat.twitch_events import chat_event

        event = self.held.pop(message_id)
        update = {
            **event,
            "moderator_user_id": moderator[0],
            "moderator_user_login": moderator[1],
            "moderator_user_name": moderator[1].capitalize(),
            "status": status,
        }
        self.notify("automod.message.update", update)  # type: ignore[attr-defined]
        if status == "approved":
            channel = (event["broadcaster_user_id"], event["broadcaster_user_login"])
            chatter = (event["user_id"], event["user_login"])
            text = event["message"]["text"]
            self.notify("channel.chat.message", chat_event(channel, chatter, text, message_id=message_id))  # type: ignore[attr-defined]

    async def _manage_held(self, request: web.Request) -> web.Response:
        from tests.chat.fake_twitch import Account, _error

        who = self._account_for(request)  # type: ignore[attr-defined]
        if not isinstance(who, Account) or MANAGE not in who.scopes:
            return _error(401, f"missing {MANAGE}")
        body = await request.json()
        self.hold_actions.append(body)
        if self.hold_mode == "fail":
            return _error(500, "internal server error")
        if self.hold_mode == "slow":
            await asyncio.to_thread(self.automod_release.wait, 30)
        if body.get("user_id") != who.user_id or body.get("action") not in ("ALLOW", "DENY"):
            return _error(400, "invalid request")
        if body.get("msg_id") not in self.held:
            return _error(404, "message not found")
        status = "approved" if body["action"] == "ALLOW" else "denied"
        # Twitch answers, then tells every subscriber (us included) how the hold ended: from a
        # thread, since `resolve_hold` waits on this very event loop to send.
        resolver = (body["msg_id"], status, (who.user_id, who.login))
        if self.subscribed("automod.message.update"):  # type: ignore[attr-defined]
            threading.Thread(target=self.resolve_hold, args=resolver, daemon=True).start()
        else:
            self.held.pop(body["msg_id"])
        return web.Response(status=204)

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
