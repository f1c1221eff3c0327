"""Avatar uploads checked before they are kept, and their previews.

A sprite set is checked the way the builder will use it: unpacked by `builder.avatars` and loaded
by `builder.avatar.folder`, so a set the dashboard accepts is one a clip build can draw. An image
or loop video (for GPU lip-sync) is opened and its first frame decoded. These checks take seconds
and run on the staged copy (`avatar_staging`), before any row is written. Previews are PNGs drawn
by the same scenes the builder animates, kept on disk next to the media they show.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import av
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from PIL import Image, ImageDraw

from aijesus.studio.models import Avatar
from builder.avatar.builtin import DrawnScene
from builder.avatar.canvas import Box
from builder.avatar.folder import FolderScene, SpriteFolderError
from builder.avatar.sprites import EyeState
from builder.avatars import AvatarUploadError, sprite_folder, unpack
from builder.limits import LimitExceeded, UploadLimits, check_pixels, check_size, open_image
from builder.lipsync.visemes import Viseme
from builder.media import MediaFormat

# The file types taken, by extension and by what the file really is. Sizes, pixels and a video's
# length are the UPLOAD_* settings (builder.limits).
IMAGE_TYPES = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG"}
VIDEO_TYPES = {".mp4": "mp4", ".webm": "webm"}
MAX_SIDE = 4096
MIN_SIDE = 64
PREVIEW = MediaFormat(width=640, height=360)
PREVIEW_KINDS = {Avatar.Kind.SPRITE: ("idle", "speaking"), Avatar.Kind.VIDEO: ("still",)}
_SCENE_CODE = sorted((Path(__file__).parents[2] / "builder" / "avatar").glob("*.py"))


class AvatarFileError(ValueError):
    """The upload cannot be used; the message says why, for the moderator."""


class FaceBoxError(AvatarFileError):
    """The face box does not fit the picture."""


@dataclass(frozen=True)
class MediaInfo:
    width: int
    height: int


def limits() -> UploadLimits:
    return UploadLimits.of(settings)


def check_upload(kind: str, upload: UploadedFile) -> None:
    """Cheap checks before anything is stored: the extension and the size."""
    suffix = Path(upload.name or "").suffix.lower()
    if kind == Avatar.Kind.SPRITE:
        if suffix != ".zip":
            raise AvatarFileError("A sprite set is a .zip of PNG files (see the folder layout below).")
        family = "zip"
    elif suffix in IMAGE_TYPES:
        family = "image"
    elif suffix in VIDEO_TYPES:
        family = "video"
    else:
        raise AvatarFileError("An image or loop video avatar is a .png, .jpg, .mp4 or .webm file.")
    try:
        check_size(f"That {family}", upload.size or 0, limits().avatar_bytes, "UPLOAD_AVATAR_MAX_MB")
    except LimitExceeded as exc:
        raise AvatarFileError(str(exc)) from None


def check_sprite_set(source: Path, into: Path, name: str) -> MediaInfo:
    """Unpack the zip `source` into the empty folder `into` and load it as the builder will.

    Raises AvatarFileError saying what is wrong. Slow (every PNG is decoded): run it before any
    transaction, never inside one.
    """
    try:
        unpack(source, into)
        FolderScene(into, PREVIEW, name)
    except (AvatarUploadError, SpriteFolderError) as exc:
        raise AvatarFileError(str(exc)) from None
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise AvatarFileError(f"A PNG in the set cannot be read: {exc}") from None
    with open_image(into / "base.png", limits().image_pixels) as base:  # checked by unpack
        return MediaInfo(*base.size)


def check_picture(path: Path) -> MediaInfo:
    """Open an image, or decode a loop video's first frame, as the builder will.

    Raises AvatarFileError saying what is wrong (or which upload limit it is over: pixels, and a
    video's length and frame count, are checked from its headers before anything is decoded).
    Slow for a video: run it before any transaction.
    """
    try:
        info = _image_info(path) if path.suffix.lower() in IMAGE_TYPES else _video_info(path)
    except LimitExceeded as exc:
        raise AvatarFileError(str(exc)) from None
    if min(info.width, info.height) < MIN_SIDE or max(info.width, info.height) > MAX_SIDE:
        raise AvatarFileError(
            f"The picture is {info.width}x{info.height}; each side must be {MIN_SIDE} to {MAX_SIDE} pixels."
        )
    return info


def _image_info(path: Path) -> MediaInfo:
    try:
        with open_image(path, limits().image_pixels, "The picture") as img:
            img.verify()  # reads the whole file: a truncated upload fails here, not in a build
            kind, size = img.format, img.size
    except (OSError, SyntaxError, Image.DecompressionBombError):
        raise AvatarFileError("The file is not a readable PNG or JPEG picture.") from None
    if kind != IMAGE_TYPES[path.suffix.lower()]:
        raise AvatarFileError(f"The file is a {kind} picture named {path.suffix}: rename or convert it.")
    return MediaInfo(*size)


def _video_info(path: Path) -> MediaInfo:
    try:
        with av.open(str(path)) as container:
            if VIDEO_TYPES[path.suffix.lower()] not in container.format.name.split(","):
                raise AvatarFileError(
                    f"The file is not a {path.suffix} video ({container.format.long_name})."
                )
            if not container.streams.video:
                raise AvatarFileError("The file has no video in it.")
            stream = container.streams.video[0]
            width, height = stream.codec_context.width, stream.codec_context.height
            check_pixels("Each frame of the video", width, height, limits().image_pixels)
            _check_length(path)
            next(container.decode(stream))  # a video whose first frame cannot be decoded is no use
            return MediaInfo(width, height)
    except (av.FFmpegError, StopIteration, UnicodeDecodeError):
        raise AvatarFileError("The file is not a readable MP4 or WebM video.") from None


def _check_length(path: Path) -> None:
    """A loop is decoded into frames, every one kept in memory: its frame count and length are
    read from its packets (not decoded, and not trusting the header's duration)."""
    bounds = limits()
    frames, last = 0, 0.0
    with av.open(str(path)) as container:
        for packet in container.demux(container.streams.video[0]):
            if packet.size == 0:
                continue  # the demuxer's end-of-stream marker
            frames += 1
            if frames > bounds.video_frames:
                raise LimitExceeded(
                    f"The video has more than {bounds.video_frames:,} frames; the limit is"
                    f" {bounds.video_frames:,} (UPLOAD_VIDEO_MAX_FRAMES)."
                )
            if packet.pts is not None and packet.time_base is not None:
                last = max(last, float((packet.pts + (packet.duration or 0)) * packet.time_base))
        seconds = max(last, float(container.duration or 0) / av.time_base)
    if seconds > bounds.video_seconds:
        raise LimitExceeded(
            f"The video lasts {seconds:.0f} s; the limit is {bounds.video_seconds} s"
            " (UPLOAD_VIDEO_MAX_SECONDS)."
        )


def first_frame(avatar: Avatar) -> Image.Image:
    """The picture of an image/video avatar (a video's first frame), as RGB."""
    path = Path(avatar.source.path)
    if path.suffix.lower() in IMAGE_TYPES:
        with open_image(path, limits().image_pixels) as img:
            return img.convert("RGB")
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        context = stream.codec_context
        check_pixels(path.name, context.width, context.height, limits().image_pixels)
        return next(container.decode(stream)).to_image().convert("RGB")


MIN_FACE_PIXELS = 32


def check_face_box(box: list[int], info: MediaInfo) -> None:
    x1, y1, x2, y2 = box
    if not (0 <= x1 < x2 <= info.width and 0 <= y1 < y2 <= info.height):
        raise FaceBoxError(
            f"The face box must lie inside the {info.width}x{info.height} picture, with x1 < x2 and y1 < y2."
        )
    # Wav2Lip works on a 96x96 crop of the box at the stream's size: a box that shrinks below a
    # few dozen pixels there has no mouth left to animate (the engine refuses it at build time).
    scale = min(settings.STREAM_WIDTH / info.width, settings.STREAM_HEIGHT / info.height, 1.0)
    if min(x2 - x1, y2 - y1) * scale < MIN_FACE_PIXELS:
        raise FaceBoxError(
            f"The face box is too small: at the stream's size it must be at least {MIN_FACE_PIXELS} pixels"
            " wide and high."
        )


def media_info(avatar: Avatar) -> MediaInfo:
    if avatar.kind == Avatar.Kind.SPRITE or not avatar.source:
        return MediaInfo(PREVIEW.width, PREVIEW.height)
    return MediaInfo(*first_frame(avatar).size)


# -- previews


def preview_png(avatar: Avatar, which: str) -> Path:
    """The preview `which` (one of PREVIEW_KINDS[kind]) as a PNG file, drawn on first request."""
    if which not in PREVIEW_KINDS[avatar.kind]:
        raise KeyError(which)
    path = Path(settings.MEDIA_ROOT) / "avatar-previews" / f"{avatar.pk}-{which}-{_preview_key(avatar)}.png"
    if path.is_file():
        return path
    image = _sprite_frame(avatar, which) if avatar.kind == Avatar.Kind.SPRITE else _still(avatar)
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in path.parent.glob(f"{avatar.pk}-{which}-*.png"):
        stale.unlink(missing_ok=True)
    partial = path.with_suffix(".part")
    partial.write_bytes(buffer.getvalue())
    partial.replace(path)  # two requests drawing at once both leave a whole file
    return path


def _preview_key(avatar: Avatar) -> str:
    """Changes whenever the picture would: the file, the name on the plate, the face box, the code."""
    parts = [avatar.name, str(avatar.settings.get("face_box"))]
    if avatar.source:
        stat = Path(avatar.source.path).stat()
        parts += [avatar.source.name, str(stat.st_size), str(stat.st_mtime_ns)]
    parts += [f"{p.name}:{p.stat().st_mtime_ns}" for p in _SCENE_CODE]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]


def _sprite_frame(avatar: Avatar, which: str) -> Image.Image:
    """One frame as the sprite lip-sync draws it: mouth at rest (idle) or open on "a" (speaking)."""
    folder = sprite_folder(avatar)
    scene = FolderScene(folder, PREVIEW, avatar.name) if folder else DrawnScene(PREVIEW, avatar.name)
    mouth = Viseme.A if which == "speaking" else Viseme.REST
    pixels = scene.render(Box(0, 0, PREVIEW.width, PREVIEW.height), 0, mouth, EyeState.OPEN)
    return Image.fromarray(pixels)


def _still(avatar: Avatar) -> Image.Image:
    """The picture (or first frame) scaled down, with the manual face box outlined when set."""
    image = first_frame(avatar)
    scale = min(1.0, PREVIEW.width / image.width, PREVIEW.height / image.height)
    box = avatar.settings.get("face_box")
    if scale < 1:
        image = image.resize(
            (round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS
        )
    if box:
        outline = [round(v * scale) for v in box]
        ImageDraw.Draw(image).rectangle(outline, outline=(224, 177, 74), width=3)
    return image
