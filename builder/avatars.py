"""Uploaded sprite sets: an Avatar's zip of PNGs, unpacked once next to the media it belongs to.

The zip holds the folder layout `builder.avatar.folder` documents (base.png, rest.png, a.png, …),
at its top level or inside one folder. Only PNG files are taken, by their base name: a hostile
archive cannot write outside its own folder.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import tempfile
import zipfile
import zlib
from pathlib import Path

from django.conf import settings

from aijesus import mediastore
from aijesus.studio.models import Avatar
from builder.errors import BuildError, TransientBuildError
from builder.limits import LimitExceeded, UploadLimits, open_image, open_zip

log = logging.getLogger(__name__)


class AvatarUploadError(BuildError):
    """The uploaded file is not a usable sprite set; the message says why (and fails the clip)."""


def avatar_file(avatar: Avatar) -> Path:
    """The avatar's uploaded file here, fetched from the media store if it was uploaded elsewhere
    (a worker on another machine). A store that is away is a transient error (the build retries)."""
    try:
        return mediastore.local(avatar.source.name)
    except mediastore.StoreUnavailable as exc:
        raise TransientBuildError(f"avatar {avatar.name!r}: {exc}") from None
    except mediastore.ObjectMissing as exc:
        raise AvatarUploadError(
            f"avatar {avatar.name!r}: its file is gone ({exc}); upload it again"
        ) from None


class StorePreparations:
    """Lip-sync preparations (Wav2Lip's face boxes and crops) shared through the media store, so an
    avatar is prepared once for every machine. A store that is away only means preparing here."""

    def fetch(self, path: Path) -> bool:
        try:
            mediastore.local(mediastore.name_of(path))
        except (mediastore.ObjectMissing, mediastore.StoreUnavailable, ValueError):
            return False
        return True

    def keep(self, path: Path) -> None:
        try:
            mediastore.publish(path, patience=0)
        except (mediastore.StoreUnavailable, ValueError) as exc:
            log.warning("the lip-sync preparation %s stays on this machine: %s", path.name, exc)


def sprite_folder(avatar: Avatar) -> Path | None:
    """The unpacked folder of an uploaded sprite set, or None for the built-in character."""
    if avatar.kind != Avatar.Kind.SPRITE or not avatar.source:
        return None
    source = avatar_file(avatar)
    target = unpacked_path(avatar)
    if target.is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent))
    try:
        unpack(source, staging)
        staging.rename(target)  # atomic: two workers never see a half-unpacked folder
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        if not target.is_dir():
            raise
    except Exception:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def unpacked_path(avatar: Avatar) -> Path:
    """Where the avatar's sprite set is (or will be) unpacked: named by its row and its file."""
    source = Path(avatar.source.path)
    # Called for every clip: identify the upload by name, size and mtime instead of reading it.
    stat = source.stat()
    digest = hashlib.sha256(f"{source.name}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:16]
    return Path(settings.MEDIA_ROOT) / "avatars" / f"{avatar.pk}-{digest}"


def unpack(source: Path, into: Path) -> None:
    """Extract the set's PNGs from the zip `source` into the folder `into`; raises AvatarUploadError.

    Within the upload limits (builder.limits): the zip's member count and unpacked size before
    anything is extracted, each PNG's pixels from its header before any decoding. Workers unpack
    with the same limits, so a set kept before the limits existed is held to them too.
    """
    limits = UploadLimits.of(settings)
    try:
        archive = open_zip(source, limits)
    except zipfile.BadZipFile:
        raise AvatarUploadError(f"{source.name} is not a zip of PNG files") from None
    except LimitExceeded as exc:
        raise AvatarUploadError(str(exc)) from None
    with archive:
        pngs = [i for i in archive.infolist() if not i.is_dir() and i.filename.lower().endswith(".png")]
        for info in pngs:
            name = Path(info.filename).name.lower()
            try:
                with archive.open(info) as src, open(into / name, "wb") as dst:
                    shutil.copyfileobj(src, dst)
            except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
                raise AvatarUploadError(f"{source.name} is damaged ({info.filename}: {exc})") from None
    for png in sorted(into.glob("*.png")):
        try:
            open_image(png, limits.image_pixels, f"{png.name} in {source.name}").close()
        except LimitExceeded as exc:
            raise AvatarUploadError(str(exc)) from None
        except (OSError, SyntaxError):
            continue  # not a readable PNG: the sprite loader says so, naming the file
    if not (into / "base.png").exists():
        raise AvatarUploadError(f"{source.name} has no base.png (see the sprite folder layout)")
