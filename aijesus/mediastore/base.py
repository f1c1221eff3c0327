"""What every media store does: keep files under names (paths relative to MEDIA_ROOT) and give
them back. No Django here; `aijesus.mediastore` picks and configures the store from settings."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path


class StoreUnavailable(Exception):
    """The store could not be used now (unreachable, credentials refused, no such bucket); the
    message says which, never with a secret, and is fit for the dashboard and the worker log."""


class ObjectMissing(Exception):
    """The store answered, and it has no object of that name."""


class MediaStore(ABC):
    remote: bool = False

    @abstractmethod
    def put(self, path: Path, name: str) -> None:
        """Keep the local file `path` as `name` (its modification time travels with it)."""

    @abstractmethod
    def get(self, name: str, path: Path) -> None:
        """Write the object `name` to the local file `path`, with the time it was made."""

    @abstractmethod
    def delete_prefix(self, prefix: str) -> int:
        """Remove every object whose name starts with `prefix`; returns how many."""

    @abstractmethod
    def sizes(self, prefix: str) -> Iterator[tuple[str, int]]:
        """(name, bytes) of every object whose name starts with `prefix` (the disk budget's count)."""

    @abstractmethod
    def describe(self) -> str:
        """Where the store is, for the System page and logs (no secret)."""

    def check(self) -> None:
        """Raise StoreUnavailable when the store cannot be used (the System page's check)."""
        return None  # a local folder is checked where it is used
