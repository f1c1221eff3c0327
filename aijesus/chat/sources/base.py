"""The one thing every chat source does: run until told to stop, handing events to a sink."""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from typing import Protocol

from aijesus.chat.message import ChatEvent


class Sink(Protocol):
    def submit(self, event: ChatEvent) -> bool:
        """Take an event without blocking; False if it could not be kept."""

    def put(self, event: ChatEvent, timeout: float | None = None) -> None:
        """Take an event, waiting while the sink is full."""

    def ignore_viewers(self, viewer_ids: frozenset[str]) -> None:
        """Viewers whose messages are never questions (the bot account itself)."""


class ChatSource(ABC):
    name: str = "source"

    @abstractmethod
    def run(self, sink: Sink, stop: threading.Event) -> None:
        """Read chat into `sink` until `stop` is set (or, for a finite source, until the end)."""
