"""readchat's wiring against the local Twitch stand-in, for the tests that run a real reader."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
import twitchio.eventsub.websockets
import twitchio.http

from aijesus.chat.ingest import Ingestor
from aijesus.chat.models import TwitchAccount
from aijesus.chat.replies import Replier
from aijesus.chat.sources.twitch import TwitchConfig, TwitchSource
from aijesus.chat.tokens import DatabaseTokenStore
from aijesus.studio.models import Question
from tests.chat.fake_twitch import CLIENT_ID, CLIENT_SECRET, FakeTwitch
from tests.chat.twitch_events import chat_event

CHANNEL = ("2002", "jesuschannel")
BOT = ("1001", "studiobot")


@contextmanager
def fake_twitch(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeTwitch]:
    """The local Twitch stand-in, with twitchio (Helix, OAuth and the EventSub socket) pointed at it."""
    server = FakeTwitch(keepalive=1.0).start()
    monkeypatch.setattr(twitchio.http.Route, "BASE", f"{server.base}/helix/")
    monkeypatch.setattr(twitchio.http.Route, "ID_BASE", f"{server.base}/")
    monkeypatch.setattr(twitchio.eventsub.websockets, "WSS", f"ws://127.0.0.1:{server.port}/ws")
    try:
        yield server
    finally:
        server.automod_release.set()
        server.stop()


def connect(
    server: FakeTwitch, user: tuple[str, str], scopes: list[str], *, expired: bool = False
) -> TwitchAccount:
    account = server.add_account(user[0], user[1], scopes, expired=expired)
    return TwitchAccount.store(
        user_id=account.user_id,
        login=account.login,
        access=account.access,
        refresh=account.refresh,
        scopes=scopes,
    )


class Reader:
    """readchat's wiring (ingest thread + Twitch source thread), stoppable from the test."""

    def __init__(
        self, bot_id: str, replier: Replier | None = None, holds_wanted: Callable[[], bool] | None = None
    ) -> None:
        self.stop = threading.Event()
        self.ingestor = Ingestor(
            source="twitch", channel=CHANNEL[1], replier=replier, batch_seconds=0.02
        ).start()
        config = TwitchConfig(CLIENT_ID, CLIENT_SECRET, CHANNEL[1], bot_id)
        self.source = TwitchSource(config, DatabaseTokenStore(), replier=replier, holds_wanted=holds_wanted)
        self.thread = threading.Thread(target=self.source.run, args=(self.ingestor, self.stop), daemon=True)

    def __enter__(self) -> Reader:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(15)
        self.ingestor.stop()
        assert not self.thread.is_alive()


def say(server: FakeTwitch, who: tuple[str, str], text: str, **extra) -> None:
    server.notify("channel.chat.message", chat_event(CHANNEL, who, text, **extra))


def question(server: FakeTwitch, text: str) -> Question:
    return server.wait_for(lambda: Question.objects.filter(text=text).first())
