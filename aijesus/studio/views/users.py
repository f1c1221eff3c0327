"""The Users page (owner only): who has a login, with which role; invite, remove, new password.

A new password is shown in the response to the POST that made it, once, and never stored in clear
or put in a redirect, a message cookie or a log.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from aijesus.studio import users
from aijesus.studio.roles import role_of
from aijesus.studio.views.access import owner_required


def _page(request: HttpRequest, *, shown: users.Invitation | None = None, status: int = 200) -> HttpResponse:
    rows = [{"user": user, "role": role_of(user).label} for user in users.people()]
    context = {"rows": rows, "shown": shown}
    return render(request, "studio/users.html", context, status=status)


@require_GET
@owner_required
def user_list(request: HttpRequest) -> HttpResponse:
    return _page(request)


@require_POST
@owner_required
def user_invite(request: HttpRequest) -> HttpResponse:
    try:
        invitation = users.invite_moderator(request.POST.get("username", ""), by=request.user)
    except users.UserError as exc:
        messages.error(request, str(exc))
        return _page(request, status=400)
    return _page(request, shown=invitation)


@require_POST
@owner_required
def user_remove(request: HttpRequest) -> HttpResponse:
    try:
        name = users.remove_moderator(request.POST.get("username", ""), by=request.user)
    except users.UserError as exc:
        messages.error(request, str(exc))
        return redirect("users")
    messages.success(request, f"{name} removed: their logins ended and their dashboards closed.")
    return redirect("users")


@require_POST
@owner_required
def user_password(request: HttpRequest) -> HttpResponse:
    try:
        invitation = users.new_password(request.POST.get("username", ""), by=request.user)
    except users.UserError as exc:
        messages.error(request, str(exc))
        return redirect("users")
    return _page(request, shown=invitation)
