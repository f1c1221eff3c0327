"""The dashboard's live socket.

On connect: one full snapshot (the queue and the streamer's state). After every committed queue
change: a fresh queue snapshot, coalescing notices that arrive while one is being read. About once
a second: the streamer's state as a small "stream" message, forwarded as it came, so an idle stream
costs a few hundred bytes per page instead of a rebuilt queue.
"""

from __future__ import annotations

import asyncio
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from aijesus.studio.broadcast import DASHBOARD_GROUP
from aijesus.studio.roles import is_moderator
from aijesus.studio.snapshot import queue_snapshot, studio_snapshot

# Close code for "not allowed" (4000-4999 are the application's own).
CLOSE_FORBIDDEN = 4403


class DashboardConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        self._dirty = False
        self._refresher: asyncio.Task[None] | None = None
        if not await database_sync_to_async(is_moderator)(self.scope.get("user")):
            await self.close(code=CLOSE_FORBIDDEN)
            return
        # Joined before the snapshot is read: a change committed meanwhile still sends a notice.
        # Group messages wait until connect returns, so the snapshot always goes first.
        await self.channel_layer.group_add(DASHBOARD_GROUP, self.channel_name)
        await self.accept()
        await self.send_json(await database_sync_to_async(studio_snapshot)())

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(DASHBOARD_GROUP, self.channel_name)
        if self._refresher is not None:
            self._refresher.cancel()

    async def studio_changed(self, event: dict[str, Any]) -> None:
        # Coalesce: while one snapshot is being read, further notices just mark it dirty.
        self._dirty = True
        if self._refresher is None or self._refresher.done():
            self._refresher = asyncio.create_task(self._refresh())

    async def studio_stream(self, event: dict[str, Any]) -> None:
        # The state is whole (not a delta): a page that missed one is right again with the next.
        await self.send_json({"type": "stream", "stream": event.get("state")})

    async def _refresh(self) -> None:
        while self._dirty:
            self._dirty = False
            await self.send_json(await database_sync_to_async(queue_snapshot)())
