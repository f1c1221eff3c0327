"""Commands to the running streamer: skip, pause, resume, re-air a clip.

Commands are JSON items on a Redis list; the streamer takes them between batches of frames (a few
times a second). A list, not pub/sub, so a command sent while the streamer restarts is not lost.
The dashboard and `manage.py stream --skip` etc. call the same `send`.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import redis
from django.conf import settings
from redis.backoff import NoBackoff
from redis.retry import Retry

log = logging.getLogger(__name__)

COMMANDS = ("skip", "pause", "resume", "reair")
_MAX_QUEUED = 1000  # a streamer that is down must not let the list grow without bound


def key_prefix() -> str:
    """Per studio: the channel-layer prefix keeps two studios on one Redis apart (and tests)."""
    config = settings.CHANNEL_LAYERS.get("default", {}).get("CONFIG", {})
    return f"{config.get('prefix', 'aijesus')}:stream"


def control_key() -> str:
    return f"{key_prefix()}:control"


def state_key() -> str:
    return f"{key_prefix()}:state"


def redis_client(url: str | None = None) -> redis.Redis:
    return redis.Redis.from_url(url or settings.REDIS_URL, socket_timeout=5, socket_connect_timeout=5)


def streamer_client(url: str | None = None) -> redis.Redis:
    """The streamer's own connection: it fails fast instead of retrying (redis-py's default retries
    take seconds against a Redis that is down), so a lease renewal, a journal write or a state
    update learns at once that Redis is away, and the next one tries again anyway."""
    return redis.Redis.from_url(
        url or settings.REDIS_URL, socket_timeout=0.5, socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0)
    )


def send(command: str, *, client: redis.Redis | None = None, **args: Any) -> None:
    """Queue `command` for the streamer. `reair` needs `clip=<id>`."""
    if command not in COMMANDS:
        raise ValueError(f"unknown stream command {command!r}; one of {', '.join(COMMANDS)}")
    if command == "reair" and not isinstance(args.get("clip"), int):
        raise ValueError("reair needs clip=<clip id>")
    client = client or redis_client()
    pipe = client.pipeline()
    pipe.rpush(control_key(), json.dumps({"command": command, **args}))
    pipe.ltrim(control_key(), -_MAX_QUEUED, -1)
    pipe.execute()


def receive(client: redis.Redis, limit: int = 100) -> list[dict[str, Any]]:
    """Take the queued commands, oldest first; malformed items are dropped."""
    raw = client.lpop(control_key(), limit) or []
    commands = []
    for item in raw:
        try:
            data = json.loads(item)
        except ValueError:
            continue
        if isinstance(data, dict) and data.get("command") in COMMANDS:
            commands.append(data)
    return commands


class Ticker:
    """Calls `tick` every `every` seconds on a thread of its own, from `start` until `stop` or until
    `tick` returns False: Redis work the frame loop must never wait for."""

    def __init__(self, name: str, every: float, tick: Callable[[], bool | None]) -> None:
        self.name, self.every, self._tick = name, every, tick
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            if self._tick() is False:
                return


class Inbox:
    """Commands read on a thread of their own, about five times a second: the frame loop only
    looks into memory (`take`), so a Redis that does not answer never holds up a frame."""

    def __init__(self, client: redis.Redis, every: float = 0.2) -> None:
        self.client = client
        self._items: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._warned = float("-inf")
        self._ticker = Ticker("stream-commands", every, self._read)

    def start(self) -> None:
        self._ticker.start()

    def stop(self) -> None:
        self._ticker.stop()

    def take(self) -> list[dict[str, Any]]:
        with self._lock:
            items, self._items = self._items, []
        return items

    def _read(self) -> None:
        try:
            items = receive(self.client)
        except redis.RedisError as exc:
            if time.monotonic() - self._warned > 30:  # once in a while, not 5 times a second
                self._warned = time.monotonic()
                log.warning("cannot read stream commands (the stream goes on): %s", exc)
            return
        with self._lock:
            self._items.extend(items)
