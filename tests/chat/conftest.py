"""Helpers for the chat tests: messages as a source would hand them over, and settings rows."""

from __future__ import annotations

import itertools
import time

import pytest

from aijesus.chat.message import ChatMessage, Support

_ids = itertools.count(1)


def msg(text: str, viewer: str | None = None, **fields) -> ChatMessage:
    n = next(_ids)
    viewer = viewer or f"viewer{n}"
    fields.setdefault("viewer_id", f"id-{viewer}")
    fields.setdefault("received_at", time.time())
    fields["badges"] = frozenset(fields.get("badges", ()))
    return ChatMessage(viewer_name=viewer, text=text, **fields)


def support(viewer: str, kind: str, amount: float = 1.0, detail: str = "") -> Support:
    return Support(viewer_id=f"id-{viewer}", viewer_name=viewer, kind=kind, amount=amount, detail=detail)


@pytest.fixture
def chat_settings(db):
    from aijesus.chat.models import ChatSettings

    row = ChatSettings.load()
    row.cooldown_seconds = 0
    row.save()
    return row


@pytest.fixture
def ingestor(chat_settings):
    from aijesus.chat.ingest import Ingestor

    return Ingestor(source="replay", channel="test")


@pytest.fixture
def twitch(monkeypatch):
    """The local Twitch stand-in, with twitchio (Helix, OAuth and the EventSub socket) pointed at it."""
    from tests.chat.twitch_reader import fake_twitch

    with fake_twitch(monkeypatch) as server:
        yield server
