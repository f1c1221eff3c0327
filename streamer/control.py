"""Commands to the running streamer: skip, pause, resume, re-air a clip.

Commands are JSON items on a Redis list; the streamer takes them between batches of frames (a few
times a second). A list, not pub/sub, so a command sent while the streamer restarts is not lost.
The dashboard and `manage.py stream --skip` etc. call the same `send`.
"""

from __future__ import annotations

import json
from typing import Any

import redis
from django.conf import settings

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
