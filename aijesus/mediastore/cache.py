"""The local copies a process holds of a remote store's clip files, bounded.

With a remote store each process's MEDIA_ROOT is only a cache: a streamer fetches the segments it
airs, the dashboard the clips moderators play, a worker keeps what it made. Clip files used least
recently are removed once the total passes MEDIA_CACHE_MB; a file used in the last few minutes
stays (it may be on air or being built), even past the limit. Avatars are not counted: few, and
needed again for every clip.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from pathlib import Path

GRACE_SECONDS = 300.0


class LocalCache:
    def __init__(self, root: Path, limit_bytes: int, grace: float = GRACE_SECONDS) -> None:
        self.root = root
        self.limit = limit_bytes
        self.grace = grace
        self.total = 0
        self._files: OrderedDict[Path, tuple[int, float]] = OrderedDict()  # path → (size, last use)
        self._lock = threading.Lock()
        self._scanned = False

    def used(self, path: Path) -> None:
        """`path` (under root/clips) was just fetched, made or read: newest in the order."""
        with self._lock:
            self._scan()
            self._add(path, time.monotonic())
            self._evict()

    def _add(self, path: Path, when: float) -> None:
        try:
            size = path.stat().st_size
        except OSError:
            return
        old = self._files.pop(path, None)
        self.total += size - (old[0] if old else 0)
        self._files[path] = (size, when)

    def _scan(self) -> None:
        """Once: what an earlier run left, oldest first, so a restart stays within the bound."""
        if self._scanned:
            return
        self._scanned = True
        clips = self.root / "clips"
        found = [p for p in clips.rglob("*") if p.is_file()] if clips.is_dir() else []
        long_ago = time.monotonic() - self.grace
        for path in sorted(found, key=lambda p: p.stat().st_mtime):
            self._add(path, long_ago)

    def _evict(self) -> None:
        now = time.monotonic()
        while self.total > self.limit and self._files:
            path, (size, when) = next(iter(self._files.items()))
            if now - when < self.grace:
                return  # everything left is in use
            del self._files[path]
            self.total -= size
            path.unlink(missing_ok=True)
