"""``manage.py doctor``: the System page's checks in the terminal. Exits non-zero when something
the studio needs is missing or broken; each problem says what to change."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from aijesus.studio.system import FAIL, OK, WARN, run_checks, summary

MARKS = {OK: "ok", WARN: "look", FAIL: "FAIL"}


class Command(BaseCommand):
    help = "Check what the studio uses (database, Redis, engines and their files, workers, stream, Twitch)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--offline", action="store_true", help="Do not contact the LLM endpoint.")
        parser.add_argument(
            "--no-workers", action="store_true", help="Do not ask for running workers or the streamer."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        checks = run_checks(live=not options["offline"], workers=not options["no_workers"])
        styles = {OK: self.style.SUCCESS, WARN: self.style.WARNING, FAIL: self.style.ERROR}
        width = max(len(check.title) for check in checks)
        for check in checks:
            mark = MARKS.get(check.status, check.status)
            style = styles.get(check.status, str)
            self.stdout.write(f"{style(mark.ljust(4))}  {check.title.ljust(width)}  {check.value}")
            if check.detail:
                self.stdout.write(f"{'':4}  {'':{width}}  {check.detail}")
            if check.fix and check.status in (WARN, FAIL):
                self.stdout.write(f"{'':4}  {'':{width}}  fix: {check.fix}")
        line = summary(checks)
        if any(check.status == FAIL for check in checks):
            raise CommandError(line)
        self.stdout.write(self.style.SUCCESS(line))
