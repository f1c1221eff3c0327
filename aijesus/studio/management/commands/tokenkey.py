"""`manage.py tokenkey new|rotate`: the key that seals Twitch tokens and per-persona API keys.

To rotate TOKEN_ENCRYPTION_KEY: `tokenkey new` prints a fresh key; put it first in
TOKEN_ENCRYPTION_KEY, the old one after a comma (`new,old`), restart, and run `tokenkey rotate`:
every sealed value is sealed again with the new key. Then drop the old key and restart again.
`manage.py studio` runs the rotation at start too, which also moves values sealed with the key
derived from SECRET_KEY (before TOKEN_ENCRYPTION_KEY existed) onto the new key.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from aijesus.chat import crypto


class Command(BaseCommand):
    help = (
        "Print a new TOKEN_ENCRYPTION_KEY (new), or re-seal every sealed value with the first key (rotate)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["new", "rotate"])

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "new":
            self.stdout.write(crypto.new_key())
            return
        done = crypto.reseal_all()
        self.stdout.write(
            f"Re-sealed {done.changed} value(s) with the first key; {done.current} already were; "
            f"{done.unreadable} cannot be opened with any configured key."
        )
        if done.unreadable:
            # Not an error exit: start-up (compose's `migrate`) must go on; those values stay as
            # they are, and the dashboard asks to connect Twitch again.
            self.stderr.write(
                "Some sealed values open with no key in TOKEN_ENCRYPTION_KEY (nor the old SECRET_KEY): "
                "add the key they were sealed with, or connect Twitch again on the chat page."
            )
