"""The upload limits in effect, for the System page: what each bounds, its value, its setting."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class UploadLimit:
    what: str
    value: str
    setting: str


# (what it bounds, its setting, the unit its value is shown in)
_LIMITS = [
    ("An avatar file (picture, loop video, sprite zip)", "UPLOAD_AVATAR_MAX_MB", " MB"),
    ("Each file of a voice or model (upload, path or download)", "UPLOAD_VOICE_MAX_MB", " MB"),
    ("What a zip unpacks to", "UPLOAD_ZIP_MAX_MB", " MB"),
    ("Files in a zip", "UPLOAD_ZIP_MAX_FILES", ""),
    ("Pixels in a picture, sprite or video frame", "UPLOAD_IMAGE_MAX_PIXELS", ""),
    ("Loop video length", "UPLOAD_VIDEO_MAX_SECONDS", " s"),
    ("Loop video frames", "UPLOAD_VIDEO_MAX_FRAMES", ""),
]


def upload_limits() -> list[UploadLimit]:
    return [UploadLimit(what, f"{getattr(settings, name):,}{unit}", name) for what, name, unit in _LIMITS]
