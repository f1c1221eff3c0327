"""The owner's side of access: invite a moderator, remove one, give one a new password.

A moderator is a plain account in the moderator group: never staff, never superuser. Removing one
keeps the account (their name stays on what they moderated) but switches it off, ends its login
sessions and closes its open dashboards at once. Passwords are made here and shown once.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from aijesus.studio.access_groups import user_group
from aijesus.studio.broadcast import revoke_sockets
from aijesus.studio.models import ModeratorAction
from aijesus.studio.roles import Role, ensure_moderator_group, role_of


class UserError(Exception):
    """Why the owner's request cannot be done, in words for the page or the terminal."""


@dataclass(frozen=True)
class Invitation:
    username: str
    password: str  # shown once to the owner, who hands it to the moderator


def _password() -> str:
    return secrets.token_urlsafe(12)


@transaction.atomic
def invite_moderator(username: str, *, by: Any = None) -> Invitation:
    username = username.strip()
    model = get_user_model()
    if not username:
        raise UserError("A moderator needs a user name.")
    field = model._meta.get_field(model.USERNAME_FIELD)
    try:
        field.run_validators(username)
    except ValidationError as exc:
        raise UserError(" ".join(exc.messages)) from None
    existing = model.objects.filter(**{f"{model.USERNAME_FIELD}__iexact": username}).first()
    if existing is not None and existing.is_active:
        raise UserError(f"{existing.get_username()} already has a login ({role_of(existing).label}).")
    password = _password()
    if existing is not None:  # removed earlier: invited back with a fresh password
        user = existing
        user.is_active, user.is_staff, user.is_superuser = True, False, False
        user.set_password(password)
        user.save()
    else:
        user = model.objects.create_user(username=username, password=password)
    user.groups.add(ensure_moderator_group())
    ModeratorAction.record(ModeratorAction.Kind.USERS, by=by, detail=f"invited moderator {username}")
    return Invitation(user.get_username(), password)


def _moderator(username: str) -> Any:
    model = get_user_model()
    user = model.objects.filter(**{f"{model.USERNAME_FIELD}__iexact": username.strip()}).first()
    if user is None:
        raise UserError(f"No login called {username!r}.")
    if role_of(user) == Role.OWNER:
        raise UserError(f"{user.get_username()} is an owner: owners are managed in the admin.")
    return user


@transaction.atomic
def remove_moderator(username: str, *, by: Any = None) -> str:
    user = _moderator(username)
    user.is_active = False
    user.save(update_fields=["is_active"])
    user.groups.remove(ensure_moderator_group())
    end_sessions(user.pk)
    ModeratorAction.record(ModeratorAction.Kind.USERS, by=by, detail=f"removed {user.get_username()}")
    transaction.on_commit(lambda: revoke_sockets(user_group(user.pk)))
    return user.get_username()


@transaction.atomic
def new_password(username: str, *, by: Any = None) -> Invitation:
    """A fresh password for a moderator; their current logins end (the old password is gone)."""
    user = _moderator(username)
    if not user.is_active:
        raise UserError(f"{user.get_username()} was removed: invite them again instead.")
    password = _password()
    user.set_password(password)
    user.save(update_fields=["password"])
    end_sessions(user.pk)
    detail = f"new password for {user.get_username()}"
    ModeratorAction.record(ModeratorAction.Kind.USERS, by=by, detail=detail)
    transaction.on_commit(lambda: revoke_sockets(user_group(user.pk)))
    return Invitation(user.get_username(), password)


def end_sessions(user_id: int) -> int:
    """Delete every live login session of `user_id` (database sessions, the studio's engine)."""
    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if str(session.get_decoded().get(SESSION_KEY)) == str(user_id):
            session.delete()
            ended += 1
    return ended


def people() -> list[Any]:
    """Everyone with a login, owners first, then active moderators, then removed ones."""
    users = list(get_user_model().objects.order_by("username"))
    return sorted(users, key=lambda u: (-int(role_of(u)), not u.is_active, u.get_username().lower()))
