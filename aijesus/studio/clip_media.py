"""Where a clip's files live: one folder per build attempt under MEDIA_ROOT/clips/<id>/, and the
same names in the media store when there is one (aijesus/mediastore)."""

from __future__ import annotations

import shutil
from pathlib import Path

from django.conf import settings

from aijesus import mediastore


def attempt_dir(clip_id: int, attempt: int) -> Path:
    """Where one build attempt writes its files: attempts never overwrite each other's."""
    return Path(settings.MEDIA_ROOT) / "clips" / str(clip_id) / f"attempt-{attempt}"


def media_sizes() -> tuple[dict[int, int], int]:
    """Bytes of each clip's files in the media store, and of files under clips/ that belong to no
    clip number (counted, never removed: the budget only decides about clips it knows)."""
    per_clip: dict[int, int] = {}
    other = 0
    for name, size in mediastore.store().sizes("clips/"):
        parts = name.split("/")
        if len(parts) > 2 and parts[1].isdigit():
            per_clip[int(parts[1])] = per_clip.get(int(parts[1]), 0) + size
        else:
            other += size
    return per_clip, other


def remove_media(clip_id: int, *, keep: int | None = None, strict: bool = False) -> None:
    """Delete a clip's attempt folders (all, or all but `keep`), here and in the media store.
    `strict`: a store that does not answer raises StoreUnavailable (files here stay then too)."""
    if keep is None:
        mediastore.remove(f"clips/{clip_id}", strict=strict)
    else:
        for attempt in range(1, keep):
            mediastore.remove(f"clips/{clip_id}/attempt-{attempt}")
    root = Path(settings.MEDIA_ROOT) / "clips" / str(clip_id)
    if not root.is_dir():
        return
    for folder in root.iterdir():
        if keep is None or folder.name != f"attempt-{keep}":
            shutil.rmtree(folder, ignore_errors=True)
    if keep is None:
        shutil.rmtree(root, ignore_errors=True)
