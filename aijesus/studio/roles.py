"""The studio's two roles, and the one place that answers "may this user do this?".

*Owner* (the streamer): engines, their addresses and keys, stream output, installed voices and
models, the Twitch connection, users, Django's admin. An owner is an active superuser.

*Moderator* (often a volunteer): runs the show — the queue, personas' prompts and voices among the
installed ones, avatars, the library, skip / pause / re-air, the chat page's moderation switches.
A moderator is in the moderator group and is never staff. An owner may do everything a moderator
may.
"""

from __future__ import annotations

import enum
from typing import Any

from django.contrib.auth.models import Group, Permission

MODERATOR_GROUP = "moderator"
MODERATE_PERMISSION = "studio.moderate"

# (codename) within the studio app. No admin is reachable for moderators; these are what the
# dashboard's own views check through `is_moderator`.
_MODERATOR_CODENAMES = [
    "moderate",
    *(f"{action}_{model}" for model in ("question", "clip", "segment") for action in ("view", "change")),
    *(f"{action}_{model}" for model in ("persona", "avatar") for action in ("view", "add", "change")),
    "view_personaversion",
    "add_personaversion",
]


class Role(enum.IntEnum):
    """Ordered: a higher role may do everything a lower one may."""

    NONE = 0
    MODERATOR = 1
    OWNER = 2

    @property
    def label(self) -> str:
        return {Role.NONE: "no access", Role.MODERATOR: "moderator", Role.OWNER: "owner"}[self]


def ensure_moderator_group(**_: Any) -> Group:
    group, _created = Group.objects.get_or_create(name=MODERATOR_GROUP)
    perms = Permission.objects.filter(content_type__app_label="studio", codename__in=_MODERATOR_CODENAMES)
    group.permissions.add(*perms)
    return group


def role_of(user: Any) -> Role:
    if not (user and user.is_authenticated and user.is_active):
        return Role.NONE
    if user.is_superuser:
        return Role.OWNER
    if user.has_perm(MODERATE_PERMISSION):
        return Role.MODERATOR
    return Role.NONE


def allowed(user: Any, needs: Role) -> bool:
    """Whether `user` holds `needs` (or a higher role). Every view and the socket ask this."""
    return role_of(user) >= needs


def is_moderator(user: Any) -> bool:
    return allowed(user, Role.MODERATOR)


def is_owner(user: Any) -> bool:
    return allowed(user, Role.OWNER)
