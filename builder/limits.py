"""Bounds on what a user's file may make the studio store, unpack or decode.

Every upload path (avatars, voices, `manage.py voices add`) checks its file against these before
the expensive step: bytes while they arrive, a zip's directory before any member is read, an
image's header before a pixel is decoded. Plain Python, like the engines: the callers pass the
limits in (`UploadLimits.of(settings)`), and each refusal names the setting that sets the limit,
so the owner knows what to raise.
"""

from __future__ import annotations

import struct
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from PIL import Image

MB = 2**20
# A zip's central directory holds one record per member (46 bytes, then its name): a directory
# larger than this per allowed member is a listing built to exhaust memory, not a sprite set.
_DIRECTORY_BYTES_PER_FILE = 1024
_END_OF_DIRECTORY = struct.Struct("<4s4H2LH")
_END_SIGNATURE = b"PK\x05\x06"


class LimitExceeded(ValueError):
    """A file is over one of the upload limits; the message names the limit and its setting."""


@dataclass(frozen=True)
class UploadLimits:
    avatar_bytes: int  # one avatar file: picture, loop video or sprite zip
    voice_bytes: int  # each file of a voice or model
    zip_bytes: int  # what a zip's members unpack to, together
    zip_files: int  # members in a zip
    image_pixels: int  # a picture, a sprite PNG or one frame of a loop video
    video_seconds: int
    video_frames: int

    @classmethod
    def of(cls, settings: Any) -> UploadLimits:
        """From the UPLOAD_* settings (Django's, or any object with those attributes)."""
        return cls(
            avatar_bytes=settings.UPLOAD_AVATAR_MAX_MB * MB,
            voice_bytes=settings.UPLOAD_VOICE_MAX_MB * MB,
            zip_bytes=settings.UPLOAD_ZIP_MAX_MB * MB,
            zip_files=settings.UPLOAD_ZIP_MAX_FILES,
            image_pixels=settings.UPLOAD_IMAGE_MAX_PIXELS,
            video_seconds=settings.UPLOAD_VIDEO_MAX_SECONDS,
            video_frames=settings.UPLOAD_VIDEO_MAX_FRAMES,
        )


def over_size(what: str, limit: int, setting: str, size: int | None = None) -> LimitExceeded:
    """The refusal for `what` past `limit` bytes; `size` when it is known (not for a file cut off
    while it arrived)."""
    if size is None:
        return LimitExceeded(f"{what} is larger than the limit of {limit / MB:g} MB ({setting}).")
    return LimitExceeded(f"{what} is {size / MB:.1f} MB; the limit is {limit / MB:g} MB ({setting}).")


def check_size(what: str, size: int, limit: int, setting: str) -> None:
    if size > limit:
        raise over_size(what, limit, setting, size)


def copy_within(chunks: Iterable[bytes], out: BinaryIO, limit: int, what: str, setting: str) -> int:
    """Write `chunks` to `out` and return the bytes written; LimitExceeded before writing past
    `limit`, so a download with no (or a false) length stops at the limit, not after it."""
    total = 0
    for chunk in chunks:
        total += len(chunk)
        if total > limit:
            raise over_size(what, limit, setting)
        out.write(chunk)
    return total


def check_pixels(what: str, width: int, height: int, limit: int) -> None:
    if width * height > limit:
        raise LimitExceeded(
            f"{what} is {width}x{height} ({width * height:,} pixels); the limit is {limit:,} pixels"
            " (UPLOAD_IMAGE_MAX_PIXELS)."
        )


def open_image(path: Path, max_pixels: int, what: str = "") -> Image.Image:
    """The image at `path` with only its header read, refused past `max_pixels` before a single
    pixel is decoded (a small file can claim a huge picture: a decompression bomb)."""
    what = what or path.name
    try:
        image = Image.open(path)
    except Image.DecompressionBombError:
        # PIL's own, much larger bound fired while reading the header: the size is not known.
        raise LimitExceeded(
            f"{what} claims more than {Image.MAX_IMAGE_PIXELS * 2:,} pixels; the limit is"
            f" {max_pixels:,} pixels (UPLOAD_IMAGE_MAX_PIXELS)."
        ) from None
    try:
        check_pixels(what, *image.size, max_pixels)
    except LimitExceeded:
        image.close()
        raise
    return image


def open_zip(path: Path, limits: UploadLimits, what: str = "") -> zipfile.ZipFile:
    """The zip at `path`, opened once its member count and unpacked size are within the limits.

    The count is read from the end record before `zipfile` parses the directory (a listing of a
    million members costs memory just to list). The unpacked size is the sum of the members'
    declared sizes, which is a true bound: `zipfile` never returns more bytes than a member
    declares and fails its CRC check when they differ. Raises LimitExceeded, or
    zipfile.BadZipFile for a file that is no zip.
    """
    what = what or path.name
    entries, directory = _end_record(path)
    if entries > limits.zip_files or directory > limits.zip_files * _DIRECTORY_BYTES_PER_FILE:
        raise _too_many(what, limits.zip_files)
    archive = zipfile.ZipFile(path)
    try:
        members = archive.infolist()
        if len(members) > limits.zip_files:
            raise _too_many(what, limits.zip_files)
        unpacked = sum(member.file_size for member in members)
        if unpacked > limits.zip_bytes:
            raise LimitExceeded(
                f"{what} unpacks to {unpacked / MB:.1f} MB; the limit is {limits.zip_bytes / MB:g} MB"
                " (UPLOAD_ZIP_MAX_MB)."
            )
    except BaseException:
        archive.close()
        raise
    return archive


def _too_many(what: str, limit: int) -> LimitExceeded:
    return LimitExceeded(
        f"{what} holds more than {limit:,} files; the limit is {limit:,} (UPLOAD_ZIP_MAX_FILES)."
    )


def _end_record(path: Path) -> tuple[int, int]:
    """(members, central directory bytes) from the zip's end record; (0, 0) when there is none
    (zipfile then refuses the file itself). A Zip64 archive (more than 65,535 members or 4 GB)
    counts as too many: no sprite set or voice needs one."""
    with path.open("rb") as file:
        size = file.seek(0, 2)
        tail = min(size, _END_OF_DIRECTORY.size + 0xFFFF)  # the record, then a comment of up to 64 KiB
        file.seek(size - tail)
        data = file.read(tail)
    at = data.rfind(_END_SIGNATURE)
    if at < 0 or at + _END_OF_DIRECTORY.size > len(data):
        return 0, 0
    fields = _END_OF_DIRECTORY.unpack_from(data, at)
    entries, directory = fields[4], fields[5]
    if entries == 0xFFFF or directory == 0xFFFFFFFF:
        return 2**32, 2**32
    return entries, directory
