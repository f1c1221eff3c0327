from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from aijesus.studio.seed import seed_studio


class Command(BaseCommand):
    help = "Create the default persona, avatar and (once) a moderator login. Safe to run again."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--moderator", default="moderator", help="Username of the first moderator.")

    def handle(self, *args: Any, **options: Any) -> None:
        result = seed_studio(moderator=options["moderator"])
        if result.persona_created:
            self.stdout.write("Created the default persona and avatar.")
        if result.password:
            # Shown once, never stored in clear: `manage.py changepassword` resets it.
            self.stdout.write(
                self.style.SUCCESS(
                    f"Moderator login created — username: {result.username}  password: {result.password}\n"
                    "This password is shown only now. Reset it with: "
                    f"python manage.py changepassword {result.username}"
                )
            )
