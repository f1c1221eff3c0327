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


def remove_media(clip_id: int, *, keep: int | None = None) -> None:
    """Delete a clip's attempt folders (all, or all but `keep`), here and in the media store."""
    if keep is None:
        mediastore.remove(f"clips/{clip_id}")
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
