"""Who may see the studio: moderators only, on every page, action and socket."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from aijesus.studio.roles import is_moderator

View = Callable[..., HttpResponse]


def moderator_required(view: View) -> View:
    """Anonymous → login page; logged in without the moderator role → 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_moderator(request.user):
            raise PermissionDenied("moderators only")
        return view(request, *args, **kwargs)

    return wrapper
