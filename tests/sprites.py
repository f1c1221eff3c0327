"""The built-in character's sprite sets, drawn once for the whole test run.

Drawing a set takes seconds; loading a drawn one from disk a fraction of that. The studio keeps its
sets under MEDIA_ROOT/avatar-cache, and most tests (and every worker or server a test starts) get a
fresh MEDIA_ROOT, so each would draw the character again. Here they share one folder instead. The
loader names each file by a digest of the drawing code, so a change to the drawing is drawn afresh.
"""

from __future__ import annotations

import fcntl
import re
from collections.abc import Callable
from pathlib import Path

from builder.avatar.sprites import SpriteAvatar
from builder.media import MediaFormat

Loader = Callable[..., SpriteAvatar]


def load_shared(name: str, fmt: MediaFormat, folder: Path, load: Loader | None = None) -> SpriteAvatar:
    """The set from memory, else from `folder`, else drawn into it. A process about to draw holds a
    lock on that set, so the others (xdist workers, Celery workers) wait and then load its file
    instead of drawing the same pictures at the same time."""
    if load is None:
        from builder.avatar.loader import load_sprite_avatar as load
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "avatar"
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f".{slug}-{fmt.width}x{fmt.height}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return load(name, folder, fmt)


def link_studio_cache(media_root: Path, folder: Path) -> None:
    """Points a MEDIA_ROOT's avatar-cache at the shared folder, for processes a test starts."""
    media_root.mkdir(parents=True, exist_ok=True)
    (media_root / "avatar-cache").symlink_to(folder, target_is_directory=True)
