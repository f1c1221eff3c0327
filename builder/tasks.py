"""Celery tasks of the builder. They take ids and call a service; retries live here."""

from __future__ import annotations

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from aijesus.studio.models import Clip
from builder.errors import TransientBuildError
from builder.services import clip_build, clip_fail


@shared_task(
    bind=True,
    autoretry_for=(TransientBuildError,),
    retry_backoff=2,
    retry_backoff_max=60,
    retry_jitter=True,
    max_retries=3,
)
def build_clip(self, clip_id: int) -> str:  # noqa: ANN001 — Celery's bound task
    try:
        return clip_build(clip_id=clip_id, last_attempt=self.request.retries >= self.max_retries)
    except SoftTimeLimitExceeded:
        clip = Clip.objects.get(pk=clip_id)
        clip_fail(clip=clip, reason="the build took longer than the time limit")
        return clip.status
