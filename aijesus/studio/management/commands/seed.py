from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from aijesus.studio.seed import seed_studio


class Command(BaseCommand):
    help = "Create the default persona, avatar and (once) the owner's login. Safe to run again."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--owner", default="owner", help="Username of the owner's login (the streamer).")

    def handle(self, *args: Any, **options: Any) -> None:
        result = seed_studio(owner=options["owner"])
        if result.persona_created:
            self.stdout.write("Created the default persona and avatar.")
        if result.password:
            # Shown once, never stored in clear: `manage.py changepassword` resets it.
            self.stdout.write(
                self.style.SUCCESS(
                    f"Owner login created — username: {result.username}  password: {result.password}\n"
                    "This password is shown only now. Reset it with: "
                    f"python manage.py changepassword {result.username}"
                )
            )
