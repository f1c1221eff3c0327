"""Staging folders left behind by a process that died mid-install (an avatar upload, a voice) are
removed by the next install once they are clearly abandoned."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

ABANDONED_AFTER = 3600.0  # seconds: no install takes an hour; one in progress is never touched


def sweep(root: Path, pattern: str = "*", older_than: float = ABANDONED_AFTER) -> int:
    """Remove the folders in `root` matching `pattern` untouched for `older_than` seconds."""
    if not root.is_dir():
        return 0
    cutoff, removed = time.time() - older_than, 0
    for folder in root.glob(pattern):
        try:
            stale = folder.is_dir() and folder.stat().st_mtime < cutoff
        except OSError:
            continue
        if stale:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed
