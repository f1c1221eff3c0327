"""Tell open dashboards that studio state changed — only once the change is committed.

The message is a tiny "something changed" notice; each dashboard socket then reads a fresh full
snapshot from the database. A client therefore never sees a state the database does not have, and a
burst of changes collapses into a few snapshots instead of one per row.
"""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

log = logging.getLogger(__name__)

DASHBOARD_GROUP = "studio.dashboard"


def broadcast_on_commit(topic: str) -> None:
    transaction.on_commit(lambda: broadcast_now(topic))


def broadcast_now(topic: str) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(DASHBOARD_GROUP, {"type": "studio.changed", "topic": topic})
    except Exception:  # a missed push must never undo a committed change
        log.warning(
            "dashboard broadcast of %r failed; pages heal on their next snapshot", topic, exc_info=True
        )
