"""The local copies a process holds of a remote store's clip files, bounded.

With a remote store each process's MEDIA_ROOT is only a cache: a streamer fetches the segments it
airs, the dashboard the clips moderators play, a worker keeps what it made. Only files this process
sent to the store or fetched from it are counted (so every one removed can be fetched again; files
from before the store was used are never touched). Once they pass MEDIA_CACHE_MB, those used least
recently are removed, but never one used in the last few minutes by any process: each use stamps
the file's access time, which processes sharing one folder (web, streamer, worker at home) all
see. Avatars are not counted: few, and needed again for every clip.

Which files those are is written down as well (`INDEX` in the root, one name a line, appended as
files are first used), so a process started later — after a restart, or beside another sharing
the folder — counts them too, in the order of their access times, and the bound holds across
restarts. Names of files gone since are dropped when the index is read; it is rewritten once it
holds mostly such lines.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from stat import S_ISREG

try:
    import fcntl
except ImportError:  # not on Windows: appends there are not locked against a rewrite
    fcntl = None  # type: ignore[assignment]

GRACE_SECONDS = 300.0
INDEX = ".cache-index"
_SLACK = 256  # stale lines tolerated beyond the live ones before the index is rewritten


class LocalCache:
    def __init__(self, root: Path, limit_bytes: int, grace: float = GRACE_SECONDS) -> None:
        self.root = root
        self.limit = limit_bytes
        self.grace = grace
        self.total = 0
        self._files: OrderedDict[Path, int] = OrderedDict()  # path → size, least recently used first
        self._lock = threading.Lock()
        self._lines = 0  # lines in the index file, as far as this process knows
        self._kept = 0  # of which named a file here when it was last read
        with self._lock:
            self._load()
            self._evict()

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
            if old is None:
                self._note(path)
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

    # -- the index on disk
    @property
    def index(self) -> Path:
        return self.root / INDEX

    def _load(self) -> None:
        """Count the files the index names that are still here, least recently used first."""
        with self._index_locked():
            names = self._read()
        found = []
        for name in dict.fromkeys(names):  # in order, once each
            path = self.root / name
            try:
                stat = path.lstat()
            except OSError:
                continue
            if S_ISREG(stat.st_mode):  # never follows a link out of the folder
                found.append((stat.st_atime_ns, path, stat.st_size))
        for _, path, size in sorted(found, key=lambda item: item[0]):
            self._files[path] = size
            self.total += size
        self._lines, self._kept = len(names), len(found)
        if self._too_long():
            self._rewrite()

    def _too_long(self) -> bool:
        # Rewritten once stale lines could outnumber the live ones: each rewrite, which reads the
        # whole index, comes after at least as many appends, so appending stays cheap.
        return self._lines > 2 * self._kept + _SLACK

    def _note(self, path: Path) -> None:
        try:
            name = path.relative_to(self.root).as_posix()
        except ValueError:
            return  # not under this cache's root: nothing to write down
        try:
            with self._index_locked(), self.index.open("a", encoding="utf-8") as out:
                out.write(name + "\n")
        except OSError:
            return  # counted in this process still; a later start just does not know it
        self._lines += 1
        if self._too_long():
            self._rewrite()

    def _rewrite(self) -> None:
        """Keep the index's lines that name a file still here, once each (other processes' too)."""
        try:
            with self._index_locked():
                names = [name for name in dict.fromkeys(self._read()) if (self.root / name).is_file()]
                tmp = self.index.with_name(INDEX + ".tmp")
                tmp.write_text("".join(name + "\n" for name in names), encoding="utf-8")
                os.replace(tmp, self.index)
        except OSError:
            return
        self._lines = self._kept = len(names)

    def _read(self) -> list[str]:
        try:
            text = self.index.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return []
        return [line for line in text.splitlines() if _safe_name(line)]

    @contextlib.contextmanager
    def _index_locked(self) -> Iterator[None]:
        """Appends (any process) and the rewrite take turns: an append never lands in a file the
        rewrite has just replaced."""
        if fcntl is None:
            yield
            return
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / (INDEX + ".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)


def _safe_name(line: str) -> bool:
    """An index line is only ever a relative path below the root: never removes anything else."""
    name = PurePosixPath(line)
    return bool(line) and not name.is_absolute() and ".." not in name.parts
