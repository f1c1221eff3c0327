"""The notice every lifecycle move publishes on commit, so the streamer's playout thread learns
of a new segment or a changed clip at once (Redis pub/sub) instead of polling the database."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import transaction

log = logging.getLogger(__name__)

# The streamer's playout thread waits on this channel, so it learns of a new segment or a clip
# that changed at once instead of polling the database from the frame loop.
PLAYOUT_CHANNEL = "studio:playout"


def playout_channel() -> str:
    return f"{settings.REDIS_KEY_PREFIX}:{PLAYOUT_CHANNEL}" if settings.REDIS_KEY_PREFIX else PLAYOUT_CHANNEL


_redis: list[Any] = []


def notify_playout() -> None:
    transaction.on_commit(_publish_playout)


def _publish_playout() -> None:
    import redis

    try:
        if not _redis:
            _redis.append(
                redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1)
            )
        _redis[0].publish(playout_channel(), b"1")
    except (redis.RedisError, OSError) as exc:  # the streamer also looks on its own every few seconds
        log.debug("playout notice not sent: %s", exc)
