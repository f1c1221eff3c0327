"""Template context: the user's role, so pages show only the actions it allows (the views check
it again on the server; a hidden button is for clarity, not protection)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from aijesus.studio.roles import Role, role_of


def role(request: HttpRequest) -> dict[str, Any]:
    current = role_of(getattr(request, "user", None))
    return {"role": current.label, "is_owner": current >= Role.OWNER}
