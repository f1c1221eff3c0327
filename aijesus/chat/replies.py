"""Optional replies in chat: "@ana your question is #3 (~2 min)" and "answered on air".

Rate-limited: one message per interval at most, and a short backlog; when chat outpaces that,
the oldest unsent replies are the ones given up (a place in the queue is stale by then anyway).
Thread-safe: the ingest thread offers, the chat source's sender takes.
"""

from __future__ import annotations

import threading
import time
from collections import deque


def queued_text(viewer: str, position: int, eta_seconds: float) -> str:
    return f"@{_name(viewer)} your question is #{position} in the queue ({_eta(eta_seconds)})"


def answered_text(viewer: str) -> str:
    return f"@{_name(viewer)} your question was just answered on air"


def _name(viewer: str) -> str:
    return "".join(ch for ch in viewer if ch.isalnum() or ch == "_")[:25] or "viewer"


def _eta(seconds: float) -> str:
    minutes = round(seconds / 60)
    if minutes < 1:
        return "less than a minute"
    if minutes < 60:
        return f"~{minutes} min"
    return f"~{minutes // 60} h {minutes % 60} min"


class Replier:
    def __init__(self, *, interval: float, backlog: int = 10) -> None:
        self.interval = interval
        self._pending: deque[str] = deque(maxlen=backlog)
        self._lock = threading.Lock()
        self._last = 0.0
        self.offered = self.sent = self.given_up = 0

    def offer(self, text: str) -> None:
        with self._lock:
            self.offered += 1
            if len(self._pending) == self._pending.maxlen:
                self.given_up += 1
            self._pending.append(text)

    def take(self, now: float | None = None) -> str | None:
        """The next reply if one is due under the rate limit, else None."""
        now = time.monotonic() if now is None else now
        with self._lock:
            if not self._pending or now - self._last < self.interval:
                return None
            self._last = now
            self.sent += 1
            return self._pending.popleft()

    def __len__(self) -> int:
        return len(self._pending)
