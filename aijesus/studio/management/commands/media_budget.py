"""`manage.py media_budget`: run the disk budget's pass now (the scheduler runs it every
MEDIA_RETENTION_MINUTES) and say what it removed and what is kept; docs/deploy.md "Disk budget"."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from aijesus import mediastore
from aijesus.studio import retention


class Command(BaseCommand):
    help = "Remove the media of old aired clips (not starred) beyond MEDIA_MAX_GB / MEDIA_MAX_AGE_DAYS."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            done = retention.sweep()
        except mediastore.StoreUnavailable as exc:
            raise CommandError(str(exc)) from None
        budget = f"{settings.MEDIA_MAX_GB:g} GB" if settings.MEDIA_MAX_GB else "no budget"
        age = f"{settings.MEDIA_MAX_AGE_DAYS} days" if settings.MEDIA_MAX_AGE_DAYS else "no age limit"
        self.stdout.write(
            f"Removed the media of {len(done.removed)} aired and {len(done.deleted)} deleted clip(s) "
            f"({done.freed_bytes / retention.GB:.2f} GB). Clip media kept: "
            f"{done.used_bytes / retention.GB:.2f} GB ({budget}, {age})."
        )
        if done.other_bytes:
            self.stdout.write(
                f"Files of no known clip under clips/: {done.other_bytes / retention.GB:.2f} GB (left alone)."
            )
        if done.error:
            raise CommandError(f"stopped early: {done.error}")
