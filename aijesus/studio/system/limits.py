"""The upload limits in effect, for the System page: what each bounds, its value, its setting."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class UploadLimit:
    what: str
    value: str
    setting: str


def upload_limits() -> list[UploadLimit]:
    s = settings
    return [
        UploadLimit(
            "An avatar file (picture, loop video, sprite zip)",
            f"{s.UPLOAD_AVATAR_MAX_MB:,} MB",
            "UPLOAD_AVATAR_MAX_MB",
        ),
        UploadLimit(
            "Each file of a voice or model (upload, path or download)",
            f"{s.UPLOAD_VOICE_MAX_MB:,} MB",
            "UPLOAD_VOICE_MAX_MB",
        ),
        UploadLimit("What a zip unpacks to", f"{s.UPLOAD_ZIP_MAX_MB:,} MB", "UPLOAD_ZIP_MAX_MB"),
        UploadLimit("Files in a zip", f"{s.UPLOAD_ZIP_MAX_FILES:,}", "UPLOAD_ZIP_MAX_FILES"),
        UploadLimit(
            "Pixels in a picture, sprite or video frame",
            f"{s.UPLOAD_IMAGE_MAX_PIXELS:,}",
            "UPLOAD_IMAGE_MAX_PIXELS",
        ),
        UploadLimit("Loop video length", f"{s.UPLOAD_VIDEO_MAX_SECONDS:,} s", "UPLOAD_VIDEO_MAX_SECONDS"),
        UploadLimit("Loop video frames", f"{s.UPLOAD_VIDEO_MAX_FRAMES:,}", "UPLOAD_VIDEO_MAX_FRAMES"),
    ]
