"""Who may see the studio: every page and action names the role it needs (aijesus/studio/roles.py)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from aijesus.studio.roles import Role, allowed

View = Callable[..., HttpResponse]


def role_required(needs: Role) -> Callable[[View], View]:
    """Anonymous → login page; logged in without the role → 403 naming the role needed."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not allowed(request.user, needs):
                raise PermissionDenied(f"{needs.label}s only")
            return view(request, *args, **kwargs)

        wrapper.required_role = needs  # type: ignore[attr-defined]  # read by the role audit test
        return wrapper

    return decorate


moderator_required = role_required(Role.MODERATOR)
owner_required = role_required(Role.OWNER)
