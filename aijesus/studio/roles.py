"""The moderator role: one group holding what the dashboard needs, created after every migrate."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission

MODERATOR_GROUP = "moderator"
MODERATE_PERMISSION = "studio.moderate"

# (codename) within the studio app.
_MODERATOR_CODENAMES = [
    "moderate",
    *(f"{action}_{model}" for model in ("question", "clip", "segment") for action in ("view", "change")),
    *(f"{action}_{model}" for model in ("persona", "avatar") for action in ("view", "add", "change")),
    "view_personaversion",
    "add_personaversion",
]


def ensure_moderator_group(**_: Any) -> Group:
    group, _created = Group.objects.get_or_create(name=MODERATOR_GROUP)
    perms = Permission.objects.filter(content_type__app_label="studio", codename__in=_MODERATOR_CODENAMES)
    group.permissions.add(*perms)
    return group


def is_moderator(user: Any) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.has_perm(MODERATE_PERMISSION))
