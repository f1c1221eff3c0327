"""What the streamer tells the dashboard: now playing, the queue, and health figures.

The whole state is one JSON value in Redis (read by a dashboard when it connects; it expires if the
streamer stops updating it, so a dead streamer is not shown as on air). After each write the same
state goes to the open dashboards as a small "stream" message, at most about once a second, from a
thread of its own so a slow channel layer (or a Redis that does not answer) never delays a frame.
Dashboards apply it to the on-air card only; the queue is never rebuilt for it.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import redis

from streamer.control import redis_client, state_key

log = logging.getLogger(__name__)

STATE_TTL = 30  # seconds a state lives without an update


def read_state(client: redis.Redis | None = None) -> dict[str, Any] | None:
    """The streamer's last published state, or None when no streamer runs."""
    raw = (client or redis_client()).get(state_key())
    return json.loads(raw) if raw else None


def _notify_dashboard(state: dict[str, Any]) -> None:
    from aijesus.studio.broadcast import broadcast_stream

    broadcast_stream(state)


class StatePublisher:
    """`publish` hands the state to the notifier thread, which writes it to Redis and then calls
    `notify` (default: send it to the dashboards) with it. States published while one is being
    written collapse into one carrying the newest. `close` waits for the last one to go."""

    def __init__(
        self,
        client: redis.Redis,
        *,
        interval: float = 1.0,
        notify: Callable[[dict[str, Any]], None] = _notify_dashboard,
    ) -> None:
        self.client = client
        self.interval = interval
        self._notify = notify
        self._last = float("-inf")
        self._latest: str | None = None  # the JSON written last, handed to the notifier
        self._lock = threading.Lock()
        self._pending = threading.Event()
        self._closed = False
        self._warned = False
        self._thread = threading.Thread(target=self._notifier, name="stream-notify", daemon=True)
        self._thread.start()

    def due(self) -> bool:
        return time.monotonic() - self._last >= self.interval

    def publish(self, state: dict[str, Any]) -> None:
        self._last = time.monotonic()
        raw = json.dumps(state)
        with self._lock:
            self._latest = raw
        self._pending.set()

    def _notifier(self) -> None:
        while True:
            if self._pending.wait(0.5):
                self._pending.clear()
                self._send_latest()
            # On close, a state published last (the final "off air") is still sent before leaving.
            if self._closed and not self._pending.is_set():
                return

    def _send_latest(self) -> None:
        with self._lock:
            raw = self._latest
        if raw is None:
            return
        try:
            self.client.set(state_key(), raw, ex=STATE_TTL)
        except redis.RedisError as exc:  # the broadcast goes on without a dashboard
            if not self._warned:
                log.warning("cannot publish stream state: %s", exc)
            self._warned = True
            return
        self._warned = False
        try:
            # Decoded from the JSON written to Redis: the notice is exactly what a dashboard that
            # connects now would read, whatever the caller does with its dict afterwards.
            self._notify(json.loads(raw))
        except Exception:  # a missed notice heals on the next one
            log.warning("stream notice to the dashboard failed", exc_info=True)

    def close(self, final: dict[str, Any] | None = None) -> None:
        if final is not None:
            self.publish(final)
        self._closed = True
        self._thread.join(2)
