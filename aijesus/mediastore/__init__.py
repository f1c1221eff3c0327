"""Where the studio's media live: MEDIA_ROOT alone (the default), or an S3-compatible store that
workers on other machines share (MEDIA_STORAGE=s3; docs/deploy.md).

Every process works with files under its own MEDIA_ROOT as before. With a remote store:

- `publish(path)`: a file this process made (a segment, a clip, an avatar upload, a lip-sync
  preparation) goes to the store as soon as it is ready; a store that does not answer is retried
  for MEDIA_STORE_RETRY_SECONDS, then `StoreUnavailable` says why.
- `local(name)`: the local path of a stored file, fetched first if this process does not have it
  (`ObjectMissing` if the store has no such object).
- `remove(prefix)`: objects of a removed clip or attempt go too (best effort: logged).

With the local store these cost nothing: publish and remove do nothing, local is MEDIA_ROOT/name.
"""

from __future__ import annotations

import hashlib
import logging
import time
from functools import lru_cache
from pathlib import Path, PurePosixPath

from django.conf import settings

from aijesus.mediastore.base import MediaStore, ObjectMissing, StoreUnavailable
from aijesus.mediastore.cache import LocalCache
from aijesus.mediastore.local import LocalStore

log = logging.getLogger(__name__)

__all__ = ["MediaStore", "ObjectMissing", "StoreUnavailable", "local", "publish", "remote", "remove", "store"]


def store() -> MediaStore:
    # The secret is not a cache key (nor an argument anywhere a debug page shows locals): its hash is.
    secret = hashlib.sha256(settings.MEDIA_S3_SECRET_ACCESS_KEY.encode()).hexdigest()
    return _store(
        (
            settings.MEDIA_STORAGE,
            str(settings.MEDIA_ROOT),
            settings.MEDIA_S3_BUCKET,
            settings.MEDIA_S3_ENDPOINT_URL,
            settings.MEDIA_S3_REGION,
            settings.MEDIA_S3_ACCESS_KEY_ID,
            settings.MEDIA_S3_PREFIX,
            settings.MEDIA_STORE_TIMEOUT,
            secret,
        )
    )


@lru_cache(maxsize=4)
def _store(key: tuple[object, ...]) -> MediaStore:
    if key[0] != "s3":
        return LocalStore(Path(str(key[1])))
    from aijesus.mediastore.s3 import S3Store

    return S3Store(
        bucket=settings.MEDIA_S3_BUCKET,
        endpoint_url=settings.MEDIA_S3_ENDPOINT_URL,
        region=settings.MEDIA_S3_REGION,
        access_key=settings.MEDIA_S3_ACCESS_KEY_ID,
        secret_key=settings.MEDIA_S3_SECRET_ACCESS_KEY,
        prefix=settings.MEDIA_S3_PREFIX,
        timeout=settings.MEDIA_STORE_TIMEOUT,
    )


@lru_cache(maxsize=4)
def _cache(root: str, limit_mb: int) -> LocalCache:
    return LocalCache(Path(root), limit_mb * 2**20)


def remote() -> bool:
    return store().remote


def name_of(path: Path) -> str:
    """A path under MEDIA_ROOT as the store names it (and a FileField stores it)."""
    return Path(path).resolve().relative_to(Path(settings.MEDIA_ROOT).resolve()).as_posix()


def publish(path: Path, *, patience: float | None = None) -> None:
    """Send a file made here to the store; waits up to `patience` seconds (MEDIA_STORE_RETRY_SECONDS)
    for a store that does not answer, then raises StoreUnavailable."""
    current = store()
    if not current.remote:
        return
    name = name_of(path)
    deadline = time.monotonic() + (settings.MEDIA_STORE_RETRY_SECONDS if patience is None else patience)
    delay = 0.5
    while True:
        try:
            current.put(Path(path), name)
            break
        except StoreUnavailable as exc:
            if time.monotonic() + delay > deadline:
                raise
            log.warning("sending %s: %s; trying again in %.1f s", name, exc, delay)
            time.sleep(delay)
            delay = min(delay * 2, 4.0)
    _note_use(Path(path), name)


def local(name: str) -> Path:
    """The local path of the stored file `name`, fetched into MEDIA_ROOT first when missing here."""
    parts = PurePosixPath(name).parts
    if not name or PurePosixPath(name).is_absolute() or ".." in parts:
        raise ValueError(f"not a media name: {name!r}")
    path = Path(settings.MEDIA_ROOT) / name
    current = store()
    if not current.remote:
        return path
    if not path.is_file():
        current.get(name, path)
    _note_use(path, name)
    return path


def remove(prefix: str, *, strict: bool = False) -> None:
    """Remove the stored objects under `prefix` (a clip's or an attempt's folder), best effort;
    `strict` raises StoreUnavailable instead (the disk budget tries again on its next pass)."""
    current = store()
    if not current.remote:
        return
    try:
        current.delete_prefix(prefix.rstrip("/") + "/")
    except StoreUnavailable as exc:
        if strict:
            raise
        log.warning("could not remove %s from the media store (they stay there): %s", prefix, exc)


def _note_use(path: Path, name: str) -> None:
    if name.startswith("clips/"):
        _cache(str(settings.MEDIA_ROOT), settings.MEDIA_CACHE_MB).used(path)
