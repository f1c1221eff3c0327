"""The local copies a process holds of a remote store's clip files, bounded.

With a remote store each process's MEDIA_ROOT is only a cache: a streamer fetches the segments it
airs, the dashboard the clips moderators play, a worker keeps what it made. Only files this process
sent to the store or fetched from it are counted (so every one removed can be fetched again; files
from before the store was used are never touched). Once they pass MEDIA_CACHE_MB, those used least
recently are removed, but never one used in the last few minutes by any process: each use stamps
the file's access time, which processes sharing one folder (web, streamer, worker at home) all
see. Avatars are not counted: few, and needed again for every clip.
"""

from __future__ import annotations

import os
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
        self._files: OrderedDict[Path, int] = OrderedDict()  # path → size, least recently used first
        self._lock = threading.Lock()

    def used(self, path: Path) -> None:
        """`path` (under root/clips, in the store) was just fetched, made or read."""
        with self._lock:
            try:
                stat = path.stat()
                # The access time says "in use" to every process; the modification time stays.
                os.utime(path, ns=(time.time_ns(), stat.st_mtime_ns))
            except OSError:
                return
            old = self._files.pop(path, None)
            self.total += stat.st_size - (old or 0)
            self._files[path] = stat.st_size
            self._evict()

    def _evict(self) -> None:
        for path in list(self._files):
            if self.total <= self.limit:
                return
            try:
                in_use = time.time() - path.stat().st_atime < self.grace
            except FileNotFoundError:
                in_use = False  # another process removed it already
            except OSError:
                continue
            if in_use:
                continue
            self.total -= self._files.pop(path)
            path.unlink(missing_ok=True)
