"""A local stand-in for Twitch on 127.0.0.1, speaking its wire protocol to twitchio:

- OAuth (``/oauth2/token`` for client credentials, authorization codes and refreshes;
  ``/oauth2/validate``; ``/oauth2/revoke``),
- Helix (``/helix/users``, ``/helix/eventsub/subscriptions``, ``/helix/chat/messages``),
- the EventSub websocket (``/ws``): ``session_welcome``, ``session_keepalive``, ``notification``,
  ``session_reconnect`` to ``/ws/reconnect`` (the subscriptions move with the session, as on
  Twitch), and subscriptions that exist per session, so a client that reconnects on its own must
  subscribe again before it hears anything; with ``unused_timeout`` set, a session still without a
  subscription that long after its welcome is closed with 4003 ("connection unused"), as Twitch
  does after 10 s.

A test can make Helix refuse an account's subscriptions for a while (``refuse_subscriptions``),
as Twitch does on a bad day.

Runs its own event loop in a thread; the test drives it with plain method calls.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

from aiohttp import WSMsgType, web

from tests.chat.fake_automod import AutoModEndpoint

CLIENT_ID = "test-client-id"
CLIENT_SECRET = "test-client-secret"
APP_TOKEN = "app-token-0"


def now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


@dataclass
class Session:
    id: str
    ws: web.WebSocketResponse
    request: web.Request
    subscriptions: dict[str, dict[str, Any]] = field(default_factory=dict)
    closed: bool = False


@dataclass
class Account:
    user_id: str
    login: str
    scopes: list[str]
    access: str
    refresh: str
    expired: bool = False


class FakeTwitch(AutoModEndpoint):
    def __init__(self, keepalive: float = 1.0) -> None:
        self.keepalive = keepalive
        self.unused_timeout: float | None = None
        self.refuse_subscriptions: set[str] = set()  # user ids whose subscriptions fail (500)
        self.refused_subscriptions: list[dict[str, Any]] = []
        self.closed_unused: list[str] = []  # session ids closed with 4003
        self.accounts: dict[str, Account] = {}
        AutoModEndpoint.__init__(self)
        self.codes: dict[str, str] = {}  # authorization code → user id
        self.users: dict[str, dict[str, Any]] = {}
        self.sessions: dict[str, Session] = {}
        self.sent_messages: list[dict[str, Any]] = []
        self.subscribe_requests: list[dict[str, Any]] = []
        self.token_requests: list[dict[str, str]] = []
        self.revoked: list[str] = []
        self._counter = itertools.count(1)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- set-up
    def add_user(self, user_id: str, login: str) -> None:
        self.users[user_id] = {
            "id": user_id,
            "login": login,
            "display_name": login.capitalize(),
            "type": "",
            "broadcaster_type": "",
            "description": "",
            "profile_image_url": "https://example.invalid/p.png",
            "offline_image_url": "",
            "created_at": "2020-01-01T00:00:00Z",
        }

    def add_account(self, user_id: str, login: str, scopes: list[str], *, expired: bool = False) -> Account:
        self.add_user(user_id, login)
        n = next(self._counter)
        account = Account(user_id, login, scopes, f"access-{user_id}-{n}", f"refresh-{user_id}-{n}", expired)
        self.accounts[user_id] = account
        return account

    def authorization_code(self, user_id: str) -> str:
        code = f"code-{uuid.uuid4().hex[:8]}"
        self.codes[code] = user_id
        return code

    def start(self) -> FakeTwitch:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        return self

    def stop(self) -> None:
        async def shutdown() -> None:
            for session in list(self.sessions.values()):
                if not session.closed:
                    await session.ws.close()
            if self._runner:
                await self._runner.cleanup()

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- driving the EventSub side from the test
    def live_sessions(self) -> list[Session]:
        return [s for s in self.sessions.values() if not s.closed]

    def subscribed(self, sub_type: str) -> Session | None:
        """The live session holding a subscription of this type, if any."""
        for session in self.live_sessions():
            if any(s["type"] == sub_type for s in session.subscriptions.values()):
                return session
        return None

    def notify(self, sub_type: str, event: dict[str, Any]) -> None:
        session = self.subscribed(sub_type)
        assert session is not None, f"nobody is subscribed to {sub_type}"
        subscription = next(s for s in session.subscriptions.values() if s["type"] == sub_type)
        message = {
            "metadata": {
                "message_id": str(uuid.uuid4()),
                "message_type": "notification",
                "message_timestamp": now(),
                "subscription_type": sub_type,
                "subscription_version": subscription["version"],
            },
            "payload": {"subscription": subscription, "event": event},
        }
        self.send_raw(session, json.dumps(message))

    def send_raw(self, session: Session, text: str) -> None:
        asyncio.run_coroutine_threadsafe(session.ws.send_str(text), self._loop).result(5)

    def ask_to_reconnect(self, session: Session) -> None:
        url = f"ws://127.0.0.1:{self.port}/ws/reconnect?from={session.id}"
        message = {
            "metadata": {
                "message_id": str(uuid.uuid4()),
                "message_type": "session_reconnect",
                "message_timestamp": now(),
            },
            "payload": {"session": {**self._session_json(session.id, "reconnecting"), "reconnect_url": url}},
        }
        self.send_raw(session, json.dumps(message))

    def drop(self, session: Session) -> None:
        """The network drops: the TCP connection goes away without a close frame."""

        def abort() -> None:
            session.closed = True
            transport = session.request.transport
            if transport is not None:
                transport.abort()

        self._loop.call_soon_threadsafe(abort)

    def wait_for(self, predicate: Any, timeout: float = 20.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {predicate}")

    # -- the server
    async def _start(self) -> None:
        app = web.Application()
        app.router.add_post("/oauth2/token", self._token)
        app.router.add_get("/oauth2/validate", self._validate)
        app.router.add_post("/oauth2/revoke", self._revoke)
        app.router.add_get("/helix/users", self._users)
        app.router.add_post("/helix/eventsub/subscriptions", self._subscribe)
        app.router.add_post("/helix/chat/messages", self._chat_message)
        self.add_automod_routes(app)
        app.router.add_get("/ws", self._websocket)
        app.router.add_get("/ws/reconnect", self._websocket)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def _token(self, request: web.Request) -> web.Response:
        params = dict(request.query)
        params.update(await request.post())
        self.token_requests.append({k: str(v) for k, v in params.items()})
        if params.get("client_id") != CLIENT_ID or params.get("client_secret") != CLIENT_SECRET:
            return _error(403, "invalid client secret")
        grant = params.get("grant_type")
        if grant == "client_credentials":
            return web.json_response(
                {"access_token": APP_TOKEN, "expires_in": 5_000_000, "token_type": "bearer"}
            )
        if grant == "authorization_code":
            user_id = self.codes.pop(str(params.get("code")), None)
            if user_id is None:
                return _error(400, "Invalid authorization code")
            return self._tokens_of(self.accounts[user_id])
        if grant == "refresh_token":
            account = next(
                (a for a in self.accounts.values() if a.refresh == params.get("refresh_token")), None
            )
            if account is None:
                return _error(400, "Invalid refresh token")
            n = next(self._counter)
            account.access, account.refresh, account.expired = (
                f"access-{account.user_id}-{n}",
                f"refresh-{account.user_id}-{n}",
                False,
            )
            return self._tokens_of(account)
        return _error(400, "unsupported grant type")

    def _tokens_of(self, account: Account) -> web.Response:
        return web.json_response(
            {
                "access_token": account.access,
                "refresh_token": account.refresh,
                "expires_in": 14_000,
                "scope": account.scopes,
                "token_type": "bearer",
            }
        )

    def _account_for(self, request: web.Request) -> Account | str | None:
        header = request.headers.get("Authorization", "")
        token = header.split(" ", 1)[1] if " " in header else ""
        if token == APP_TOKEN:
            return APP_TOKEN
        return next((a for a in self.accounts.values() if a.access == token and not a.expired), None)

    async def _validate(self, request: web.Request) -> web.Response:
        who = self._account_for(request)
        if who is None:
            return _error(401, "invalid access token")
        if who == APP_TOKEN:
            return web.json_response({"client_id": CLIENT_ID, "scopes": [], "expires_in": 5_000_000})
        assert isinstance(who, Account)
        return web.json_response(
            {
                "client_id": CLIENT_ID,
                "login": who.login,
                "scopes": who.scopes,
                "user_id": who.user_id,
                "expires_in": 14_000,
            }
        )

    async def _revoke(self, request: web.Request) -> web.Response:
        params = dict(request.query)
        self.revoked.append(str(params.get("token")))
        return web.Response(status=200)

    async def _users(self, request: web.Request) -> web.Response:
        if self._account_for(request) is None:
            return _error(401, "invalid access token")
        ids, logins = request.query.getall("id", []), request.query.getall("login", [])
        data = [u for u in self.users.values() if u["id"] in ids or u["login"] in logins]
        return web.json_response({"data": data})

    async def _subscribe(self, request: web.Request) -> web.Response:
        who = self._account_for(request)
        if not isinstance(who, Account):
            return _error(401, "invalid access token")
        body = await request.json()
        self.subscribe_requests.append({"user_id": who.user_id, **body})
        if who.user_id in self.refuse_subscriptions:
            self.refused_subscriptions.append({"user_id": who.user_id, **body})
            return _error(500, "Internal Server Error")
        session = self.sessions.get(body["transport"].get("session_id", ""))
        if session is None or session.closed:
            return _error(400, "websocket transport session does not exist or has already disconnected")
        condition = body["condition"]
        if body["type"] == "channel.chat.message" and condition.get("user_id") != who.user_id:
            return _error(403, "subscription missing proper authorization")
        if body["type"] != "channel.chat.message" and condition.get("broadcaster_user_id") != who.user_id:
            return _error(403, "subscription missing proper authorization")
        if refused := self.refuse_automod_subscription(body, who.scopes, who.user_id):
            return _error(403, refused)
        subscription = {
            "id": str(uuid.uuid4()),
            "status": "enabled",
            "type": body["type"],
            "version": body["version"],
            "condition": condition,
            "created_at": now(),
            "cost": 0,
            "transport": {"method": "websocket", "session_id": session.id, "connected_at": now()},
        }
        session.subscriptions[subscription["id"]] = subscription
        return web.json_response(
            {"data": [subscription], "total": 1, "total_cost": 0, "max_total_cost": 10}, status=202
        )

    async def _chat_message(self, request: web.Request) -> web.Response:
        who = self._account_for(request)
        if not isinstance(who, Account) or "user:write:chat" not in who.scopes:
            return _error(401, "missing user:write:chat")
        body = await request.json()
        self.sent_messages.append(body)
        return web.json_response(
            {"data": [{"message_id": str(uuid.uuid4()), "is_sent": True, "drop_reason": None}]}
        )

    def _session_json(self, session_id: str, status: str = "connected") -> dict[str, Any]:
        return {
            "id": session_id,
            "status": status,
            "connected_at": now(),
            "keepalive_timeout_seconds": 10,
            "reconnect_url": None,
            "recovery_url": None,
        }

    async def _websocket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        session = Session(f"session-{next(self._counter)}", ws, request)
        previous = self.sessions.get(request.query.get("from", ""))
        if previous is not None:  # session_reconnect: the subscriptions come along
            session.subscriptions = previous.subscriptions
            for subscription in session.subscriptions.values():
                subscription["transport"]["session_id"] = session.id
        self.sessions[session.id] = session
        welcome = {
            "metadata": {
                "message_id": str(uuid.uuid4()),
                "message_type": "session_welcome",
                "message_timestamp": now(),
            },
            "payload": {"session": self._session_json(session.id)},
        }
        await ws.send_str(json.dumps(welcome))
        if previous is not None:
            previous.closed = True  # Twitch drops the old connection once the new one is up
            previous.subscriptions = {}
            await previous.ws.close()
        keepalive = asyncio.create_task(self._keepalive(session))
        unused = asyncio.create_task(self._close_if_unused(session))
        try:
            async for message in ws:
                if message.type == WSMsgType.TEXT:  # Twitch closes with 4001 on any inbound message
                    await ws.close(code=4001)
        finally:
            keepalive.cancel()
            unused.cancel()
            session.closed = True
        return ws

    async def _close_if_unused(self, session: Session) -> None:
        if self.unused_timeout is None:
            return
        await asyncio.sleep(self.unused_timeout)
        if not session.closed and not session.subscriptions:
            self.closed_unused.append(session.id)
            session.closed = True
            await session.ws.close(code=4003, message=b"connection unused")

    async def _keepalive(self, session: Session) -> None:
        while not session.closed:
            await asyncio.sleep(self.keepalive)
            message = {
                "metadata": {
                    "message_id": str(uuid.uuid4()),
                    "message_type": "session_keepalive",
                    "message_timestamp": now(),
                },
                "payload": {},
            }
            try:
                await session.ws.send_str(json.dumps(message))
            except (ConnectionError, RuntimeError):
                return


def _error(status: int, message: str) -> web.Response:
    return web.json_response(
        {"error": HTTPStatus(status).phrase, "status": status, "message": message}, status=status
    )
