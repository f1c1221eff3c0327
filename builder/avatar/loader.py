"""Getting a sprite set: from this process's memory, else the disk cache, else by drawing it.

Drawing takes seconds; loading a cached set a fraction of that; a set already in memory is free.
The cache key covers everything that changes the pictures: the drawing code itself, the name on
the plate, the output size and, for a folder, its files' contents.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import re
import threading
import time
from dataclasses import replace
from pathlib import Path

from builder.avatar.builtin import DrawnScene
from builder.avatar.folder import FolderScene
from builder.avatar.sprites import SpriteAvatar, build_sprites
from builder.media import MediaFormat

log = logging.getLogger(__name__)

_CODE_FILES = [
    *sorted(Path(__file__).parent.glob("*.py")),
    Path(__file__).parents[1] / "lipsync" / "visemes.py",
]
_memory: dict[str, SpriteAvatar] = {}
_lock = threading.Lock()


def _digest(paths: list[Path], *extra: str) -> str:
    h = hashlib.sha256()
    for part in extra:
        h.update(part.encode() + b"\0")
    for path in paths:
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:20]


def _key(name: str, fmt: MediaFormat, source: Path | None) -> str:
    files = sorted(source.glob("*.png")) if source else []
    kind = f"folder:{source.resolve()}" if source else "builtin"
    return _digest(_CODE_FILES + files, name, kind, f"{fmt.width}x{fmt.height}")


def load_sprite_avatar(
    name: str, cache_dir: Path | None, fmt: MediaFormat, *, source: Path | None = None
) -> SpriteAvatar:
    """The sprite set of the character called `name` (shown on its name plate).

    `source` is a folder of PNGs (layout in `builder.avatar.folder`); None draws the built-in
    character. With a `cache_dir`, a set drawn once is kept there as .npz and reused by any
    process; within a process the set is kept in memory as well. The returned set's `origin`
    says which of the three it came from.
    """
    key = _key(name, fmt, source)
    with _lock:
        if key in _memory:
            return replace(_memory[key], origin="memory")
        avatar = _load_or_build(key, name, cache_dir, fmt, source)
        _memory[key] = avatar
        return avatar


def _load_or_build(
    key: str, name: str, cache_dir: Path | None, fmt: MediaFormat, source: Path | None
) -> SpriteAvatar:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "avatar"
    if cache_dir is None:
        return _draw(name, fmt, source, None)
    path = cache_dir / f"{slug}-{fmt.width}x{fmt.height}-{key}.npz"
    if path.exists():
        loaded = _load(path)
        if loaded is not None:
            return loaded
    # `make run` starts the web server, two workers and the streamer at once, and each wants the
    # character: the first to get here draws it while the others wait on the lock, then load it.
    cache_dir.mkdir(parents=True, exist_ok=True)
    with open(cache_dir / f".{path.stem}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if path.exists():
            loaded = _load(path)
            if loaded is not None:
                return loaded
        return _draw(name, fmt, source, path)


def _load(path: Path) -> SpriteAvatar | None:
    try:
        return SpriteAvatar.load(path)
    except (OSError, ValueError, KeyError) as exc:  # a damaged cache is redrawn, not fatal
        log.warning("sprite cache %s unreadable (%s); drawing again", path, exc)
        return None


def _draw(name: str, fmt: MediaFormat, source: Path | None, path: Path | None) -> SpriteAvatar:
    started = time.perf_counter()
    scene = FolderScene(source, fmt, name) if source else DrawnScene(fmt, name)
    avatar = build_sprites(scene, name)
    log.info(
        "drew sprite set %r (%d poses) in %.1f s", name, avatar.pose_count, time.perf_counter() - started
    )
    if path is not None:
        avatar.save(path)
    return avatar


def forget_loaded() -> None:
    """Drop the in-memory sets (tests; or after a character's files changed)."""
    with _lock:
        _memory.clear()
