"""What the streamer tells the dashboard: now playing, the queue, and health figures.

The whole state is one JSON value in Redis (read by the dashboard's snapshot whenever it likes;
it expires if the streamer stops updating it, so a dead streamer is not shown as on air). After
each write a "stream" notice goes to the dashboard group, at most about once a second, from a
thread of its own so a slow channel layer never delays a frame.
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


def _notify_dashboard() -> None:
    from aijesus.studio.broadcast import broadcast_now

    broadcast_now("stream")


class StatePublisher:
    def __init__(
        self,
        client: redis.Redis,
        *,
        interval: float = 1.0,
        notify: Callable[[], None] = _notify_dashboard,
    ) -> None:
        self.client = client
        self.interval = interval
        self._notify = notify
        self._last = float("-inf")
        self._pending = threading.Event()
        self._closed = False
        self._thread = threading.Thread(target=self._notifier, name="stream-notify", daemon=True)
        self._thread.start()

    def due(self) -> bool:
        return time.monotonic() - self._last >= self.interval

    def publish(self, state: dict[str, Any]) -> None:
        self._last = time.monotonic()
        try:
            self.client.set(state_key(), json.dumps(state), ex=STATE_TTL)
        except redis.RedisError as exc:  # the broadcast goes on without a dashboard
            log.warning("cannot publish stream state: %s", exc)
            return
        self._pending.set()

    def _notifier(self) -> None:
        while not self._closed:
            if self._pending.wait(0.5):
                self._pending.clear()
                try:
                    self._notify()
                except Exception:  # a missed notice heals on the next one
                    log.warning("stream notice to the dashboard failed", exc_info=True)

    def close(self, final: dict[str, Any] | None = None) -> None:
        if final is not None:
            self.publish(final)
            time.sleep(0.05)  # let the notifier send the last notice
        self._closed = True
        self._thread.join(2)
