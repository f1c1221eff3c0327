"""`manage.py mediastore [--create-bucket] [--send-avatars]`: where clips and avatars are kept, and
whether that store answers. With MEDIA_STORAGE=s3, `--create-bucket` makes the bucket if it is not
there (MinIO and first trials; on AWS, R2 or B2 you would usually create it in their console), and
`--send-avatars` sends the avatars uploaded before the store was used, so workers elsewhere find
them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from aijesus import mediastore


class Command(BaseCommand):
    help = "Show the media store (MEDIA_STORAGE) and check that it answers."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--create-bucket", action="store_true", help="create the S3 bucket if missing")
        parser.add_argument(
            "--send-avatars", action="store_true", help="send avatars uploaded before the store was used"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        store = mediastore.store()
        if options["create_bucket"] and store.remote:
            try:
                made = store.create_bucket()  # type: ignore[attr-defined]
            except mediastore.StoreUnavailable as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(f"{'Created' if made else 'Found'} {store.describe()}.")
        try:
            store.check()
        except mediastore.StoreUnavailable as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Media store: {store.describe()}: answers.")
        if options["send_avatars"] and store.remote:
            self._send_avatars()

    def _send_avatars(self) -> None:
        from aijesus.studio.models import Avatar

        sent = 0
        for avatar in Avatar.objects.exclude(source=""):
            path = Path(avatar.source.path)
            if not path.is_file():
                self.stderr.write(f"avatar {avatar.name!r}: {avatar.source.name} is not in this MEDIA_ROOT")
                continue
            try:
                mediastore.publish(path)
            except mediastore.StoreUnavailable as exc:
                raise CommandError(str(exc)) from None
            sent += 1
        self.stdout.write(f"Sent {sent} avatar file(s).")
