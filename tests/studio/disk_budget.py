"""Clips with real files in a real MEDIA_ROOT, for the disk budget's tests."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from aijesus.studio import retention
from aijesus.studio.clip_media import attempt_dir
from aijesus.studio.models import Clip, Segment

KB = 1024


@pytest.fixture
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_STORAGE = "local"
    settings.MEDIA_MAX_AGE_DAYS = 0
    return settings.MEDIA_ROOT


def budget_kb(settings, kb: int) -> None:
    settings.MEDIA_MAX_GB = kb * KB / retention.GB


def clip_with_files(persona, *, kb: int, days_ago: float, aired: int = 1, **fields) -> Clip:
    """A library clip with a segment and a video of `kb` KiB in all, made `days_ago`."""
    fields.setdefault("status", Clip.Status.READY)
    clip = Clip.objects.create(persona_version=persona.ensure_version(note="v"), attempt=1, **fields)
    folder = attempt_dir(clip.pk, 1)
    folder.mkdir(parents=True)
    (folder / "seg-000.mp4").write_bytes(b"\0" * (kb * KB // 2))
    (folder / "clip.mp4").write_bytes(b"\0" * (kb * KB - kb * KB // 2))
    Segment.objects.create(
        clip=clip, attempt=1, index=0, media=f"clips/{clip.pk}/attempt-1/seg-000.mp4", duration=1.0
    )
    made = timezone.now() - timedelta(days=days_ago)
    Clip.objects.filter(pk=clip.pk).update(
        created_at=made, aired_count=aired, video=f"clips/{clip.pk}/attempt-1/clip.mp4"
    )
    clip.refresh_from_db()
    return clip


def has_files(clip: Clip) -> bool:
    return attempt_dir(clip.pk, 1).parent.exists()


def removed(clip: Clip) -> bool:
    clip.refresh_from_db()
    return clip.media_removed_at is not None
