"""What open dashboards are told, and when.

Two kinds of message go to the dashboard group through the Redis channel layer:

- `studio.changed` — a tiny "the queue changed" notice, sent only once the change is committed
  (`broadcast_on_commit`). Each dashboard socket then reads a fresh queue snapshot from the
  database, so a client never sees a state the database does not have, and a burst of changes
  collapses into a few snapshots instead of one per row.
- `studio.stream` — the streamer's whole current state (now playing, position, health, up next),
  about once a second. It is small and is itself the source of truth (it does not live in the
  database), so sockets forward it as it is and never rebuild the queue for it.
"""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

log = logging.getLogger(__name__)

DASHBOARD_GROUP = "studio.dashboard"


def broadcast_on_commit(topic: str) -> None:
    """`topic` (queue, clips, persona…) names what changed, for logs and tests; every topic
    refreshes the queue snapshot. The stream's state goes through `broadcast_stream` instead."""
    transaction.on_commit(lambda: broadcast_now(topic))


def broadcast_now(topic: str) -> None:
    _group_send({"type": "studio.changed", "topic": topic}, f"notice {topic!r}")


def broadcast_stream(state: dict[str, Any] | None) -> None:
    """Send the streamer's state (None: no streamer) to every open dashboard, now."""
    _group_send({"type": "studio.stream", "state": state}, "stream state")


def revoke_sockets(group: str) -> None:
    """Close every dashboard socket in `group` (one user's, or one login session's: see
    aijesus/studio/access_groups.py) now: its user logged out or lost the role."""
    _group_send({"type": "studio.revoke"}, "access revocation", group=group)


def _group_send(message: dict[str, Any], what: str, group: str = DASHBOARD_GROUP) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception:  # a missed push must never undo a committed change or stall the stream
        log.warning("dashboard broadcast of the %s failed; pages heal on the next one", what, exc_info=True)
