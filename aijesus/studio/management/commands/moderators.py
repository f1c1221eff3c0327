"""`manage.py moderators add|remove|password|list [NAME]`: the Users page from a terminal (whoever
runs it holds the machine, so is the owner). A password made here is printed once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from aijesus.studio import users
from aijesus.studio.roles import role_of


class Command(BaseCommand):
    help = "Invite, remove or list the studio's moderators, or give one a new password."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["add", "remove", "password", "list"])
        parser.add_argument("username", nargs="?", default="")

    def handle(self, *args: Any, action: str, username: str, **options: Any) -> None:
        if action == "list":
            for user in users.people():
                state = role_of(user).label if user.is_active else "removed"
                self.stdout.write(f"{user.get_username():<30} {state}")
            return
        if not username:
            raise CommandError(f"`moderators {action}` needs a user name.")
        try:
            if action == "remove":
                self.stdout.write(f"Removed {users.remove_moderator(username)}: their logins ended.")
                return
            made = users.invite_moderator(username) if action == "add" else users.new_password(username)
        except users.UserError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            self.style.SUCCESS(f"Moderator login — username: {made.username}  password: {made.password}")
            + "\nShown only now: hand it over privately."
        )
