"""The dashboard's live socket.

On connect: one full snapshot (the queue and the streamer's state). After every committed queue
change: a fresh queue snapshot, coalescing notices that arrive while one is being read. About once
a second: the streamer's state as a small "stream" message, forwarded as it came, so an idle stream
costs a few hundred bytes per page instead of a rebuilt queue.

Only a moderator (or the owner) connects, and only while that holds: a logout or a removal closes
the socket at once (its user and session groups), and a recheck every few seconds closes it when
the session or the role is gone some other way (aijesus/studio/access_groups.py). The socket takes
no commands: every action is an HTTP POST that checks the role itself.
"""

from __future__ import annotations

import asyncio
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from aijesus.studio.access_groups import session_group, still_allowed, user_group
from aijesus.studio.broadcast import DASHBOARD_GROUP
from aijesus.studio.roles import is_moderator
from aijesus.studio.snapshot import queue_snapshot, studio_snapshot

# Close code for "not allowed" (4000-4999 are the application's own).
CLOSE_FORBIDDEN = 4403


class DashboardConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        self._dirty = False
        self._refresher: asyncio.Task[None] | None = None
        self._watcher: asyncio.Task[None] | None = None
        self._groups: list[str] = []
        user, session = self.scope.get("user"), self.scope.get("session")
        key = getattr(session, "session_key", None)
        if not key or not await database_sync_to_async(is_moderator)(user):
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self._user_id, self._session_key = user.pk, key
        # Joined before the snapshot is read: a change committed meanwhile still sends a notice.
        # Group messages wait until connect returns, so the snapshot always goes first.
        self._groups = [DASHBOARD_GROUP, user_group(user.pk), session_group(key)]
        for group in self._groups:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        await self.send_json(await database_sync_to_async(studio_snapshot)())
        self._watcher = asyncio.create_task(self._recheck())

    async def disconnect(self, code: int) -> None:
        for group in self._groups:
            await self.channel_layer.group_discard(group, self.channel_name)
        for task in (self._refresher, self._watcher):
            if task is not None:
                task.cancel()

    async def studio_revoke(self, event: dict[str, Any]) -> None:
        await self.close(code=CLOSE_FORBIDDEN)

    async def _recheck(self) -> None:
        allowed = database_sync_to_async(still_allowed)
        while True:
            await asyncio.sleep(settings.DASHBOARD_ACCESS_RECHECK_SECONDS)
            if not await allowed(self._user_id, self._session_key):
                await self.close(code=CLOSE_FORBIDDEN)
                return

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
