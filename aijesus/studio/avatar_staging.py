"""An avatar upload is checked in a staging folder before any row is written, then kept in one short
transaction.

Copying the upload, unpacking a sprite zip and decoding a loop video take seconds. Inside the
transaction that inserts the Avatar they would hold SQLite's write lock all that time, and a
worker's progress write would time out and fail its clip. So `stage` copies the upload into a
private folder under MEDIA_ROOT and runs every check there, with no transaction open; `keep` then
inserts the row and moves the checked files into place: renames on one filesystem, nothing slow.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from aijesus import mediastore
from aijesus.studio import avatar_files
from aijesus.studio.avatar_files import AvatarFileError, MediaInfo
from aijesus.studio.models import Avatar
from builder import staging
from builder.avatars import unpacked_path
from builder.limits import LimitExceeded, copy_within

# Inside MEDIA_ROOT, so that keeping the files is a rename, not a copy (never served: no media is).
STAGING_FOLDER = "avatar-uploads"


@dataclass
class StagedUpload:
    """An upload copied and checked, not yet any avatar's. Leaving the `with` block removes what
    `keep` did not take."""

    folder: Path
    source: Path
    info: MediaInfo
    unpacked: Path | None = None  # a sprite set's PNGs, as the builder reads them

    def __enter__(self) -> StagedUpload:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.discard()

    def discard(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


class _StagedFile(File):
    """Offers the storage a path to move (`temporary_file_path`) instead of bytes to copy."""

    def __init__(self, path: Path) -> None:
        super().__init__(None, name=path.name)
        self.path = path

    def temporary_file_path(self) -> str:
        return str(self.path)


def stage(kind: str, upload: UploadedFile, name: str, box: list[int] | None = None) -> StagedUpload:
    """Copy `upload` into a new staging folder and check it as the builder will read it.

    Raises AvatarFileError (FaceBoxError for a `box` that does not fit; naming the upload limit
    when it is over one); a refused upload leaves no folder behind. Call it with no transaction
    open: it takes seconds.
    """
    root = Path(settings.MEDIA_ROOT) / STAGING_FOLDER
    root.mkdir(parents=True, exist_ok=True)
    staging.sweep(root)  # what an upload cut off by a crash left behind
    folder = Path(tempfile.mkdtemp(dir=root))
    try:
        # The storage's own idea of a valid name: the one the file will be kept under, so the
        # checks' messages name the file as the moderator will see it.
        source = folder / default_storage.get_valid_name(upload.name or "upload")
        with source.open("wb") as out:
            # Bounded again while copying: the form checked the size Django counted, and this
            # copy holds to the same limit whoever calls it.
            limit = avatar_files.limits().avatar_bytes
            copy_within(upload.chunks(), out, limit, f"That {source.suffix} file", "UPLOAD_AVATAR_MAX_MB")
        if kind == Avatar.Kind.SPRITE:
            unpacked = folder / "unpacked"
            unpacked.mkdir()
            info = avatar_files.check_sprite_set(source, unpacked, name)
        else:
            unpacked = None
            info = avatar_files.check_picture(source)
        if box is not None:
            avatar_files.check_face_box(box, info)
    except LimitExceeded as exc:
        shutil.rmtree(folder, ignore_errors=True)
        raise AvatarFileError(str(exc)) from None
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return StagedUpload(folder=folder, source=source, info=info, unpacked=unpacked)


def share(avatar: Avatar) -> None:
    """Send a kept avatar's file to the media store (MEDIA_STORAGE=s3), where workers on other
    machines find it. If the store will not take it, the avatar is removed again and
    StoreUnavailable says why: an avatar no remote worker could use is not kept half-way."""
    try:
        # No waiting for a store that is away: the moderator is told now (and the dashboard's
        # other requests are not held up behind this one).
        mediastore.publish(Path(avatar.source.path), patience=0)
    except mediastore.StoreUnavailable:
        unpacked = unpacked_path(avatar) if avatar.kind == Avatar.Kind.SPRITE else None
        Path(avatar.source.path).unlink(missing_ok=True)
        if unpacked is not None:
            shutil.rmtree(unpacked, ignore_errors=True)
        avatar.delete()
        raise


def keep(staged: StagedUpload, avatar: Avatar) -> None:
    """Insert `avatar` (unsaved) holding the staged files, in one transaction that only renames.

    Raises what the insert raised (IntegrityError: the name was taken meanwhile) after putting
    nothing anywhere: the files moved so far are removed.
    """
    moved: list[Path] = []
    try:
        with transaction.atomic():
            avatar.source.save(staged.source.name, _StagedFile(staged.source), save=False)
            moved.append(Path(avatar.source.path))
            avatar.save()
            if staged.unpacked is not None:
                # Where the builder looks for this set: found there, it is never unpacked again.
                target = unpacked_path(avatar)
                staged.unpacked.rename(target)
                moved.append(target)
    except BaseException:
        for path in moved:
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
        raise
