"""The default: MEDIA_ROOT is the store. Every process of the studio shares that folder, so there
is nothing to send or fetch."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from aijesus.mediastore.base import MediaStore, ObjectMissing


class LocalStore(MediaStore):
    remote = False

    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, path: Path, name: str) -> None:
        return None  # already where it belongs

    def get(self, name: str, path: Path) -> None:
        if not path.exists():
            raise ObjectMissing(f"{name} is not in the media folder")

    def delete_prefix(self, prefix: str) -> int:
        return 0  # the callers remove their local files themselves

    def sizes(self, prefix: str) -> Iterator[tuple[str, int]]:
        top = self.root / prefix
        for folder, _, files in os.walk(top):
            for file in files:
                path = Path(folder) / file
                try:
                    size = path.lstat().st_size  # a link is not media we keep
                except OSError:  # removed while we walked
                    continue
                yield path.relative_to(self.root).as_posix(), size

    def describe(self) -> str:
        return f"the local folder {self.root}"
