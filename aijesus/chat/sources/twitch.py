"""Live Twitch chat over EventSub websockets, through twitchio 3.

What it subscribes to: ``channel.chat.message`` as the bot account (needs ``user:read:chat``);
and, when the channel owner's own account is connected too (or is the bot), the support events
that feed priority — ``channel.subscribe``, ``channel.subscription.message``,
``channel.subscription.gift`` and ``channel.channel_points_custom_reward_redemption.add``.
Bits come with the chat message itself (its ``cheer`` field), so ``channel.cheer`` would count
them twice and is not used. With held messages on (the chat page), also ``automod.message.hold``
and ``automod.message.update`` (v2) as the channel owner (``moderator:manage:automod``): checked
at every watchdog round, so turning the option on needs no restart.

Staying up: twitchio honours ``session_reconnect`` (it moves to the new URL and keeps the
subscriptions) and reconnects a dropped socket (then subscribes again). It does not try twice: a
subscription Twitch refuses while the socket re-subscribes is dropped, and a socket Twitch closes
(4003, left unused) or whose welcome never comes is given up. So a watchdog here compares, every
round, what each connected account (the bot, the channel owner) subscribed to with what its
sockets carry now, and subscribes again to whatever is missing; and the whole client is started
again with backoff if logging in fails. A payload we cannot read is logged and skipped.

Tokens: loaded from and saved to a ``TokenStore`` (the database, sealed) instead of twitchio's
JSON file; refreshed tokens are saved as soon as twitchio refreshes them. No log line here prints
a token: twitchio's own exceptions for token failures contain them, so only their type is logged.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import twitchio
from twitchio import eventsub
from twitchio.exceptions import HTTPException, InvalidTokenException

from aijesus.chat.message import ChatMessage, Held, HoldResolved, Support
from aijesus.chat.replies import Replier
from aijesus.chat.sources.base import ChatSource, Sink

log = logging.getLogger(__name__)


class _NoAdapterAdvice(logging.Filter):
    """twitchio advises installing a web adapter on every client; we run without one on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "StarletteAdapter" not in record.getMessage()


logging.getLogger("twitchio.client").addFilter(_NoAdapterAdvice())

# What the "Connect Twitch" page asks for. The chat scopes are for the bot account; the others let
# a channel owner's own connection feed subs, gifts and redemptions into priority.
CHAT_SCOPES = ["user:read:chat", "user:write:chat", "user:bot"]
CHANNEL_SCOPES = ["channel:bot", "channel:read:subscriptions", "channel:read:redemptions", "bits:read"]
WATCHDOG_SECONDS = 15.0
HOLDS_RETRY_SECONDS = 300.0  # a refused AutoMod subscription (most often the scope) is tried again after
RESTART_BACKOFF = (2.0, 5.0, 15.0, 30.0, 60.0)
_HIGHLIGHTED = "channel_points_highlighted"


class TokenStore(Protocol):
    def load(self) -> list[tuple[str, str, str]]:
        """(user id, access token, refresh token) of every connected account."""

    def save(self, user_id: str, access: str, refresh: str) -> None: ...


@dataclass(frozen=True)
class TwitchConfig:
    client_id: str
    client_secret: str
    channel: str  # the channel's login name
    bot_id: str  # the connected account that reads (and answers in) chat


class TwitchSource(ChatSource):
    name = "twitch"

    def __init__(
        self,
        config: TwitchConfig,
        tokens: TokenStore,
        *,
        replier: Replier | None = None,
        on_ready: Callable[[str], None] | None = None,
        holds_wanted: Callable[[], bool] | None = None,
    ) -> None:
        self.config = config
        self.tokens = tokens
        self.replier = replier
        self.holds_wanted = holds_wanted  # read in a thread: may touch the database
        self.on_ready = on_ready  # called with the channel's user id once subscribed
        self.client: StudioClient | None = None

    def run(self, sink: Sink, stop: threading.Event) -> None:
        sink.ignore_viewers(frozenset({self.config.bot_id}))
        asyncio.run(self._main(sink, stop))

    async def _main(self, sink: Sink, stop: threading.Event) -> None:
        failures = 0
        while not stop.is_set():
            client = StudioClient(self, sink)
            self.client = client
            watcher = asyncio.create_task(_close_when(stop, client))
            try:
                async with client:
                    await client.start(with_adapter=False)
                failures = 0
            except Exception as exc:  # noqa: BLE001 - the reader must outlive Twitch's bad days
                failures += 1
                log.warning("Twitch client stopped (%s); starting again", _safe(exc))
            finally:
                watcher.cancel()
            if not stop.is_set():
                delay = RESTART_BACKOFF[min(failures, len(RESTART_BACKOFF) - 1)]
                await asyncio.to_thread(stop.wait, delay)


async def _close_when(stop: threading.Event, client: twitchio.Client) -> None:
    await asyncio.to_thread(stop.wait)
    await client.close()


_SubKey = tuple[str, str, tuple[tuple[str, str], ...]]


def _type_name(sub_type: Any) -> str:
    return str(getattr(sub_type, "value", sub_type))  # twitchio keeps an enum or a str


def _sub_key(sub_type: Any, version: Any, condition: Mapping[str, Any]) -> _SubKey:
    """A subscription as Twitch tells them apart: its type, version and condition."""
    return _type_name(sub_type), str(version), tuple(sorted((k, str(v)) for k, v in condition.items()))


def _safe(exc: BaseException) -> str:
    """An exception as a log can show it: HTTP errors from twitchio carry secret query strings."""
    if isinstance(exc, HTTPException):
        return f"HTTP {exc.status}"
    if isinstance(exc, InvalidTokenException):
        return "a token was refused"
    return type(exc).__name__


class StudioClient(twitchio.Client):
    def __init__(self, source: TwitchSource, sink: Sink) -> None:
        config = source.config
        super().__init__(
            client_id=config.client_id,
            client_secret=config.client_secret,
            bot_id=config.bot_id,
            fetch_client_user=False,
        )
        self.source = source
        self.sink = sink
        self.channel_id: str | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._holds_subscribed = False
        self._holds_refused_at = -HOLDS_RETRY_SECONDS
        # What each account (its token) subscribed to: what its sockets must carry.
        self._carried: dict[str, dict[_SubKey, eventsub.SubscriptionPayload]] = {}

    # -- tokens: the database instead of .tio.tokens.json
    async def load_tokens(self, path: str | None = None) -> None:
        stored = await asyncio.to_thread(self.source.tokens.load)
        for user_id, access, refresh in stored:
            try:
                await self.add_token(access, refresh)
            except (InvalidTokenException, HTTPException) as exc:
                log.warning("Twitch account %s could not be used (%s): connect it again", user_id, _safe(exc))
        if self.bot_id not in self.tokens:
            log.error("the bot account's token is not usable: connect Twitch again on the chat page")

    async def save_tokens(self, path: str | None = None) -> None:
        for data in list(self.tokens.values()):
            await asyncio.to_thread(self.source.tokens.save, data["user_id"], data["token"], data["refresh"])

    async def event_token_refreshed(self, payload: Any) -> None:
        await asyncio.to_thread(
            self.source.tokens.save, payload.user_id, payload.token, payload.refresh_token
        )
        log.info("Twitch token of account %s refreshed and saved", payload.user_id)

    # -- start-up
    async def setup_hook(self) -> None:
        users = await self.fetch_users(logins=[self.source.config.channel])
        if not users:
            raise RuntimeError(f"Twitch channel {self.source.config.channel!r} does not exist")
        self.channel_id = users[0].id
        await self.subscribe_all()
        await self.subscribe_holds()
        self._spawn(self._watchdog())
        if self.source.replier is not None:
            self._spawn(self._send_replies())
        if self.source.on_ready is not None:
            self.source.on_ready(self.channel_id)

    async def subscribe_all(self) -> None:
        bot, channel = self.bot_id, self.channel_id
        assert bot and channel
        await self._subscribe(
            eventsub.ChatMessageSubscription(broadcaster_user_id=channel, user_id=bot), token_for=bot
        )
        log.info("reading chat of %s as account %s", self.source.config.channel, bot)
        if channel not in self.tokens:
            log.info("the channel owner's account is not connected: subs, gifts and redemptions not read")
            return
        for payload in (
            eventsub.ChannelSubscribeSubscription(broadcaster_user_id=channel),
            eventsub.ChannelSubscribeMessageSubscription(broadcaster_user_id=channel),
            eventsub.ChannelSubscriptionGiftSubscription(broadcaster_user_id=channel),
            eventsub.ChannelPointsRedeemAddSubscription(broadcaster_user_id=channel),
        ):
            try:
                await self._subscribe(payload, token_for=channel)
            except HTTPException as exc:  # most often a scope the owner did not grant
                log.warning("cannot subscribe to %s (%s)", payload.type, _safe(exc))

    async def subscribe_holds(self) -> None:
        """Messages AutoMod holds, and their resolution, when moderators want them in our queue."""
        wanted = self.source.holds_wanted
        if self._holds_subscribed or wanted is None or not await asyncio.to_thread(wanted):
            return
        loop = asyncio.get_running_loop()
        if loop.time() - self._holds_refused_at < HOLDS_RETRY_SECONDS:
            return
        channel = self.channel_id
        assert channel
        if self._holds_refused_at >= 0:  # refused before: the owner may have connected again since
            await self._reload_token(channel)
        if channel not in self.tokens:
            self._holds_refused_at = loop.time()
            log.warning("AutoMod holds need the channel owner's account: connect it on the chat page")
            return
        # The owner moderates their own channel: the condition's moderator is the owner too.
        condition = {"broadcaster_user_id": channel, "moderator_user_id": channel}
        try:
            for payload in (
                eventsub.AutomodMessageHoldV2Subscription(**condition),
                eventsub.AutomodMessageUpdateV2Subscription(**condition),
            ):
                await self._subscribe(payload, token_for=channel)
        except HTTPException as exc:  # most often moderator:manage:automod not granted
            self._holds_refused_at = loop.time()
            log.warning("cannot subscribe to AutoMod holds (%s): grant moderator:manage:automod", _safe(exc))
            return
        self._holds_subscribed = True
        log.info("AutoMod holds of %s come to the studio's queue", self.source.config.channel)

    async def _reload_token(self, user_id: str) -> None:
        """The account's token as the database has it now (Connect Twitch may have replaced it)."""
        stored = await asyncio.to_thread(self.source.tokens.load)
        for owner, access, refresh in stored:
            if owner == user_id:
                try:
                    await self.add_token(access, refresh)
                except (InvalidTokenException, HTTPException) as exc:
                    log.warning("Twitch account %s could not be used (%s)", user_id, _safe(exc))

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _subscribe(self, payload: eventsub.SubscriptionPayload, *, token_for: str) -> None:
        await self.subscribe_websocket(payload, token_for=token_for)
        key = _sub_key(payload.type, payload.version, payload.condition)
        self._carried.setdefault(token_for, {})[key] = payload

    async def _watchdog(self) -> None:
        """Every WATCHDOG_SECONDS: subscriptions lost on any account's socket, and held messages
        once they are wanted."""
        while True:
            await asyncio.sleep(WATCHDOG_SECONDS)
            try:
                await self.mend()
                await self.subscribe_holds()
            except Exception as exc:  # noqa: BLE001 - try again at the next round
                log.warning("subscribing again failed (%s)", _safe(exc))

    async def mend(self) -> None:
        """Subscribe again to what each account's sockets no longer carry (see the module's doc)."""
        for account, wanted in list(self._carried.items()):
            live = await self._live_subscriptions(account)
            if live is None:
                continue
            missing = [payload for key, payload in wanted.items() if key not in live]
            if not missing:
                continue
            log.warning(
                "account %s lost %d EventSub subscription(s) (%s); subscribing again",
                account, len(missing), ", ".join(sorted(_type_name(p.type) for p in missing)),
            )  # fmt: skip
            for payload in missing:
                try:
                    await self.subscribe_websocket(payload, token_for=account)
                except HTTPException as exc:  # next round tries again
                    log.warning("cannot subscribe to %s again (%s)", _type_name(payload.type), _safe(exc))

    async def _live_subscriptions(self, account: str) -> set[_SubKey] | None:
        """What the account's connected sockets carry; None while twitchio is reconnecting one
        (it subscribes again itself, on a session ours would not know). A socket twitchio gave
        up on is taken off its list, so the next subscription opens a new one: twitchio files a
        reconnected socket under its old session id, and its own clean-up then misses it."""
        sockets = self._websockets.get(account, {})
        if any(s._connecting and not s._closed for s in sockets.values()):
            return None
        live: set[_SubKey] = set()
        for session, socket in list(sockets.items()):
            if socket.connected and not socket._closed:
                live.update(
                    _sub_key(d["type"], d["version"], d["condition"]) for d in socket._subscriptions.values()
                )
                continue
            sockets.pop(session, None)
            await socket.close()  # a no-op when it is closed already
        return live

    async def close(self, **options: Any) -> None:
        for task in list(self._tasks):
            task.cancel()
        await super().close(**options)

    # -- events
    async def event_message(self, payload: Any) -> None:
        try:
            message = chat_message(payload)
        except Exception:
            log.warning("unreadable chat message skipped", exc_info=True)
            return
        self.sink.submit(message)

    async def event_automod_message_hold(self, payload: Any) -> None:
        try:
            message = held_message(payload)
        except Exception:
            log.warning("unreadable AutoMod hold skipped", exc_info=True)
            return
        self.sink.submit(message)

    async def event_automod_message_update(self, payload: Any) -> None:
        try:
            moderator = payload.moderator
            event = HoldResolved(
                message_id=str(payload.message_id),
                status=str(payload.status).lower(),  # v2 sends lower case, v1 capitalised
                moderator=str(moderator.display_name or moderator.name or moderator.id or ""),
            )
        except Exception:
            log.warning("unreadable AutoMod update skipped", exc_info=True)
            return
        self.sink.submit(event)

    async def event_subscription(self, payload: Any) -> None:
        if payload.gift:  # the gifter is credited by the gift event; a gifted sub cost its holder nothing
            return
        self._support(payload.user, "sub", int(payload.tier) // 1000)

    async def event_subscription_message(self, payload: Any) -> None:
        self._support(payload.user, "resub", int(payload.tier) // 1000)

    async def event_subscription_gift(self, payload: Any) -> None:
        if payload.user is not None and not payload.anonymous:
            self._support(payload.user, "gift", payload.total)

    async def event_custom_redemption_add(self, payload: Any) -> None:
        # Text typed into a reward also arrives as a chat message (carrying the reward's id), which
        # becomes the question; only rewards without text are credit for a later question.
        if not (payload.user_input or "").strip():
            self._support(payload.user, "redemption", 1, payload.reward.title)

    def _support(self, user: Any, kind: str, amount: float, detail: str = "") -> None:
        try:
            event = Support(
                viewer_id=str(user.id),
                viewer_name=str(user.display_name or user.name or user.id),
                kind=kind,  # type: ignore[arg-type]
                amount=float(amount),
                detail=detail or "",
                channel=self.source.config.channel,
            )
        except Exception:
            log.warning("unreadable %s event skipped", kind, exc_info=True)
            return
        self.sink.submit(event)

    # -- replies
    async def _send_replies(self) -> None:
        replier = self.source.replier
        assert replier is not None and self.channel_id
        channel = self.create_partialuser(self.channel_id)
        while True:
            text = replier.take()
            if text is None:
                await asyncio.sleep(0.25)
                continue
            try:
                await channel.send_message(sender=self.bot_id or "", message=text, token_for=self.bot_id)
            except Exception as exc:  # noqa: BLE001 - a reply is a courtesy, never worth a crash
                log.warning("chat reply not sent (%s)", _safe(exc))


def chat_message(payload: Any) -> ChatMessage:
    """A twitchio ``ChatMessage`` as the ingest's plain message."""
    chatter = payload.chatter
    reward = ""
    if payload.channel_points_id:
        reward = "channel points"
    elif payload.type == _HIGHLIGHTED:
        reward = "Highlight my message"
    return ChatMessage(
        viewer_id=str(chatter.id),
        viewer_name=str(chatter.display_name or chatter.name or chatter.id),
        text=str(payload.text),
        badges=frozenset(str(b.set_id) for b in payload.badges),
        bits=payload.cheer.bits if payload.cheer is not None else 0,
        message_id=str(payload.id or ""),
        reward=reward,
        channel=str(payload.broadcaster.name or ""),
    )


def held_message(payload: Any) -> ChatMessage:
    """A twitchio ``AutomodMessageHold`` as a chat message that Twitch is holding."""
    user = payload.user
    return ChatMessage(
        viewer_id=str(user.id),
        viewer_name=str(user.display_name or user.name or user.id),
        text=str(payload.text),
        message_id=str(payload.message_id),
        channel=str(payload.broadcaster.name or ""),
        held=Held(
            reason=str(payload.reason or "automod"),
            category=str(payload.category or ""),
            level=int(payload.level or 0),
        ),
    )
