"""The chat page: settings and the live hold/auto switch for moderators; Twitch connections for
the owner (their tokens act as the channel).

Every view names the role it needs; every change is a POST with its CSRF token. The OAuth
callback is a GET (Twitch redirects the browser there); its protection is the one-time state
kept in the owner's session. No token, secret or client id is ever rendered.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from aijesus.chat import oauth
from aijesus.chat.config import weights
from aijesus.chat.crypto import Unreadable
from aijesus.chat.forms import ChatSettingsForm
from aijesus.chat.models import ChatSettings, TwitchAccount
from aijesus.chat.state import CHAT_SOURCES
from aijesus.chat.tokens import bot_account
from aijesus.studio.models import ModeratorAction, Question
from aijesus.studio.views.access import moderator_required, owner_required

STATE_KEY = "chat.twitch_oauth_state"


@require_http_methods(["GET", "POST"])
@moderator_required
def settings_page(request: HttpRequest) -> HttpResponse:
    row = ChatSettings.load()
    form = ChatSettingsForm(request.POST if request.method == "POST" else None, instance=row)
    if request.method == "POST":
        if form.is_valid():
            saved = form.save(commit=False)
            saved.updated_at, saved.updated_by = timezone.now(), request.user
            if saved.automod_check:
                saved.automod_status = ""  # turned on again: an old "turned itself off" no longer holds
            saved.save()
            changed = ", ".join(form.changed_data) or "nothing"
            ModeratorAction.record("chat", by=request.user, detail=f"settings saved: {changed}")
            messages.success(request, "Chat settings saved; the reader applies them to its next batch.")
            return redirect("chat:settings")
        messages.error(request, "Some settings need fixing (see below).")
    return render(
        request, "chat/settings.html", _context(request, row, form), status=400 if form.errors else 200
    )


@require_POST
@moderator_required
def switch_mode(request: HttpRequest) -> HttpResponse:
    mode = request.POST.get("mode", "")
    if mode not in ChatSettings.Mode.values:
        return HttpResponseBadRequest("unknown mode")
    ChatSettings.switch_mode(mode, by=request.user)
    messages.success(request, f"Mode: {ChatSettings.Mode(mode).label.lower()}.")
    return redirect("chat:settings")


@require_POST
@owner_required
def twitch_connect(request: HttpRequest) -> HttpResponse:
    if not oauth.configured():
        messages.error(request, "Set TWITCH_CLIENT_ID and TWITCH_CLIENT_SECRET first.")
        return redirect("chat:settings")
    state = secrets.token_urlsafe(32)
    request.session[STATE_KEY] = state
    row = ChatSettings.load()
    scopes = oauth.scopes_for(
        owner=request.POST.get("owner") == "on", automod=row.automod_check, holds=row.automod_holds
    )
    return redirect(oauth.authorize_url(state=state, redirect_uri=_redirect_uri(request), scopes=scopes))


@require_GET
@owner_required
def twitch_callback(request: HttpRequest) -> HttpResponse:
    expected = request.session.pop(STATE_KEY, None)
    state = request.GET.get("state", "")
    if not expected or not secrets.compare_digest(expected, state):
        return HttpResponseBadRequest(
            "This Twitch sign-in was not started here (or was already used). Start again."
        )
    if request.GET.get("error"):
        messages.error(request, f"Twitch did not connect: {request.GET.get('error_description', '')[:200]}")
        return redirect("chat:settings")
    try:
        connected = oauth.exchange(request.GET.get("code", ""), _redirect_uri(request))
    except oauth.OAuthFailed as exc:
        messages.error(request, str(exc))
        return redirect("chat:settings")
    TwitchAccount.store(
        user_id=connected.user_id,
        login=connected.login,
        access=connected.access,
        refresh=connected.refresh,
        scopes=connected.scopes,
        by=request.user,
    )
    messages.success(
        request, f"Twitch account {connected.login} connected. Restart the chat reader to use it."
    )
    return redirect("chat:settings")


@require_POST
@owner_required
def twitch_disconnect(request: HttpRequest, pk: int) -> HttpResponse:
    account = get_object_or_404(TwitchAccount, pk=pk)
    try:
        access, _ = account.tokens()
    except Unreadable:
        access = ""
    if access and oauth.configured():
        oauth.revoke(access)
    account.delete()
    messages.success(request, f"Twitch account {account.login} disconnected.")
    return redirect("chat:settings")


def _redirect_uri(request: HttpRequest) -> str:
    return settings.TWITCH_REDIRECT_URI or request.build_absolute_uri(reverse("chat:twitch-callback"))


def _context(request: HttpRequest, row: ChatSettings, form: ChatSettingsForm) -> dict:
    since = timezone.now() - timedelta(hours=1)
    recent = Question.objects.filter(source__in=CHAT_SOURCES, received_at__gte=since)
    outcome = dict(recent.values_list("status").annotate(n=Count("id")).order_by())
    merged = recent.filter(prescreen_verdict="merged").count()
    reader = bot_account()
    return {
        "row": row,
        "form": form,
        "weights": weights().rows(),
        "accounts": TwitchAccount.objects.select_related("connected_by"),
        "reader": reader,
        "twitch_ready": oauth.configured(),
        "channel": settings.TWITCH_CHANNEL,
        "source": settings.CHAT_SOURCE,
        "redirect_uri": _redirect_uri(request),
        "last_hour": {
            "total": sum(outcome.values()),
            "waiting": outcome.get(Question.Status.PENDING, 0),
            "dropped": outcome.get(Question.Status.DROPPED, 0) - merged,
            "merged": merged,
        },
        "modes": ChatSettings.Mode.choices,
        "automod_problem": _automod_problem(row),
    }


def _automod_problem(row: ChatSettings) -> str:
    """What stops the AutoMod options, in words for the chat page ("" when nothing does)."""
    from aijesus.chat.screen.automod import MANAGE_SCOPE, SCOPE

    if row.automod_status and not row.automod_check:
        return f"The Twitch AutoMod check turned itself off: {row.automod_status}"
    wanted = [
        (row.automod_check, "The Twitch AutoMod check", SCOPE, 'questions are held as "not checked"'),
        (
            row.automod_holds,
            "Held messages in the queue",
            MANAGE_SCOPE,
            "messages AutoMod holds are not shown here, and decisions on held questions are not sent "
            "to Twitch",
        ),
    ]
    owner = (
        TwitchAccount.objects.filter(login__iexact=settings.TWITCH_CHANNEL).first()
        if settings.TWITCH_CHANNEL
        else None
    )
    for on, what, scope, until in wanted:
        if not on:
            continue
        if owner is None:
            return (
                f"{what} is on, but the channel owner's account (TWITCH_CHANNEL) is not connected: "
                f'connect it below with "This is the channel owner\'s account" ticked. Until then {until}.'
            )
        if scope not in owner.scope_list:
            return (
                f"{what} is on, but {owner.login}'s token lacks {scope}: connect the owner's account "
                f"again (it is asked for now). Until then {until}."
            )
    return ""
