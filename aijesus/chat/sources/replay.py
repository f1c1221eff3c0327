"""A recorded chat, replayed through the same ingest as live Twitch chat: for demos, tests and
load tests.

One JSON object per line::

    {"t": 1.5, "user_id": "42", "user": "ana", "text": "What is grace?", "badges": ["vip"], "bits": 100}

``t`` is seconds from the start of the recording; ``user`` (or ``user_name``), ``text`` needed; the
rest optional. A line may instead describe support: ``"kind": "sub"`` (``"tier": 1-3``), ``"resub"``,
``"gift"`` (``"count"``), ``"redemption"`` (``"reward"``; with a ``text`` it is a question), ``"cheer"``
(``"bits"``). Blank lines and lines starting with ``#`` are skipped; a line that cannot be read
is logged with its number and skipped, never fatal.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from aijesus.chat.message import ChatEvent, ChatMessage, Support
from aijesus.chat.sources.base import ChatSource, Sink

log = logging.getLogger(__name__)


class ReplayError(ValueError):
    """One line of the file is not a chat event we understand."""


def parse_line(data: Any, channel: str = "", received_at: float | None = None) -> ChatEvent:
    if not isinstance(data, dict):
        raise ReplayError("not a JSON object")
    name = str(data.get("user") or data.get("user_name") or data.get("viewer") or "").strip()
    if not name:
        raise ReplayError("no user name")
    viewer_id = str(data.get("user_id") or data.get("id") or "")
    kind = str(data.get("kind") or "message")
    at = time.time() if received_at is None else received_at
    text = data.get("text")
    if kind == "message" or (kind == "redemption" and text):
        if not isinstance(text, str):
            raise ReplayError("no text")
        badges = data.get("badges") or []
        if not isinstance(badges, list):
            raise ReplayError("badges must be a list")
        return ChatMessage(
            viewer_id=viewer_id,
            viewer_name=name,
            text=text,
            badges=frozenset(str(b) for b in badges),
            bits=_number(data.get("bits", 0)),
            message_id=str(data.get("message_id") or ""),
            reward=str(data.get("reward") or "channel points") if kind == "redemption" else "",
            channel=channel,
            received_at=at,
        )
    amounts = {"sub": "tier", "resub": "tier", "gift": "count", "cheer": "bits", "redemption": "none"}
    if kind not in amounts:
        raise ReplayError(f"unknown kind {kind!r}")
    amount = _number(data.get(amounts[kind], 1)) if kind != "redemption" else 1
    detail = str(data.get("reward") or "")
    return Support(viewer_id, name, kind, float(amount), detail, channel, at)  # type: ignore[arg-type]


def _number(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1e9:
        raise ReplayError(f"expected a positive number, got {value!r}")  # NaN and infinity too
    return int(value)


def read(path: Path) -> Iterator[tuple[int, float, Any]]:
    """(line number, time offset, decoded object) for each usable line; bad lines are logged."""
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            try:
                data = json.loads(line)
                offset = float(data.get("t", 0.0)) if isinstance(data, dict) else 0.0
            except (ValueError, TypeError) as exc:
                log.warning("%s:%d: not JSON (%s); skipped", path.name, number, exc)
                continue
            yield number, max(0.0, offset), data


class ReplaySource(ChatSource):
    name = "replay"

    def __init__(
        self,
        path: Path,
        *,
        speed: float = 1.0,
        channel: str = "replay",
        on_tick: Callable[[], None] | None = None,
    ) -> None:
        """`speed` 2 plays twice as fast; 0 as fast as the ingest takes it. `on_tick` runs while
        waiting between lines (the command uses it to print replies)."""
        self.path = path
        self.speed = speed
        self.channel = channel
        self.on_tick = on_tick
        self.sent = self.skipped = 0

    def run(self, sink: Sink, stop: threading.Event) -> None:
        started = time.monotonic()
        for number, offset, data in read(self.path):
            if self.speed > 0:
                self._wait_until(started + offset / self.speed, stop)
            if stop.is_set():
                return
            try:
                event = parse_line(data, self.channel)
            except (ReplayError, ValueError, OverflowError) as exc:
                self.skipped += 1
                log.warning("%s:%d: %s; skipped", self.path.name, number, exc)
                continue
            sink.put(event)  # a replay may wait for the ingest: nothing is lost
            self.sent += 1
        log.info(
            "replay of %s done: %d events sent, %d lines skipped", self.path.name, self.sent, self.skipped
        )

    def _wait_until(self, due: float, stop: threading.Event) -> None:
        while not stop.is_set():
            left = due - time.monotonic()
            if left <= 0:
                return
            stop.wait(min(left, 0.25))
            if self.on_tick is not None:
                self.on_tick()
