"""The chat page: moderators only, POST + CSRF for every change, nothing secret on the page, and
the Connect Twitch flow against a local Twitch."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import twitchio.http
from django.test import Client, override_settings
from django.urls import reverse

from aijesus.chat.models import ChatSettings, TwitchAccount
from tests.chat.fake_twitch import CLIENT_ID, CLIENT_SECRET, FakeTwitch

pytestmark = pytest.mark.django_db
TWITCH = {
    "TWITCH_CLIENT_ID": CLIENT_ID,
    "TWITCH_CLIENT_SECRET": CLIENT_SECRET,
    "TWITCH_CHANNEL": "jesuschannel",
}
PAGES = [
    ("get", "chat:settings", {}),
    ("post", "chat:settings", {}),
    ("post", "chat:mode", {}),
    ("post", "chat:twitch-connect", {}),
    ("get", "chat:twitch-callback", {}),
    ("post", "chat:twitch-disconnect", {"pk": 1}),
]
VALID = {
    "mode": "hold",
    "command_prefix": "!ask",
    "cooldown_seconds": 30,
    "pending_cap": 200,
    "min_chars": 5,
    "max_chars": 400,
    "drop_links": "on",
    "injection": "flag",
    "banned_words": "grobnik\n  shmurk*  \n",
}


@pytest.fixture
def twitch(monkeypatch):
    server = FakeTwitch().start()
    monkeypatch.setattr(twitchio.http.Route, "ID_BASE", f"{server.base}/")
    yield server
    server.stop()


@pytest.mark.parametrize(("method", "name", "kwargs"), PAGES)
def test_anonymous_visitors_are_sent_to_log_in(client, method, name, kwargs):
    response = getattr(client, method)(reverse(name, kwargs=kwargs))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


@pytest.mark.parametrize(("method", "name", "kwargs"), PAGES)
def test_logged_in_non_moderators_are_refused(client, viewer_account, method, name, kwargs):
    client.force_login(viewer_account)
    assert getattr(client, method)(reverse(name, kwargs=kwargs)).status_code == 403


@pytest.mark.parametrize("name", ["chat:settings", "chat:mode", "chat:twitch-connect"])
def test_changes_without_the_csrf_token_are_refused(moderator, name):
    client = Client(enforce_csrf_checks=True)
    client.force_login(moderator)
    assert client.post(reverse(name), {**VALID, "mode": "auto"}).status_code == 403
    assert ChatSettings.load().mode == "hold"


def test_a_moderator_changes_the_settings(client, moderator):
    client.force_login(moderator)
    page = client.get(reverse("chat:settings"))
    assert page.status_code == 200 and b"per 100 bits" in page.content
    response = client.post(reverse("chat:settings"), {**VALID, "require_prefix": "on"})
    assert response.status_code == 302
    row = ChatSettings.load()
    assert (row.require_prefix, row.command_prefix, row.cooldown_seconds, row.pending_cap) == (
        True,
        "!ask",
        30,
        200,
    )
    assert row.banned_words == "grobnik\nshmurk*" and row.updated_by == moderator


def test_bad_settings_are_explained_and_not_saved(client, moderator):
    client.force_login(moderator)
    response = client.post(reverse("chat:settings"), {**VALID, "min_chars": 450, "max_chars": 400})
    assert response.status_code == 400 and b"Must be less than the longest question" in response.content
    assert ChatSettings.load().min_chars == 5


def test_the_mode_switches_live(client, moderator):
    client.force_login(moderator)
    assert client.post(reverse("chat:mode"), {"mode": "auto"}).status_code == 302
    assert ChatSettings.load().mode == "auto"
    assert client.post(reverse("chat:mode"), {"mode": "chaos"}).status_code == 400


def test_hostile_text_in_settings_is_shown_as_text(client, moderator):
    ChatSettings.objects.update_or_create(pk=1, defaults={"banned_words": "<script>alert(1)</script>"})
    client.force_login(moderator)
    page = client.get(reverse("chat:settings")).content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


@override_settings(**TWITCH, TWITCH_REDIRECT_URI="")
def test_connecting_twitch_stores_sealed_tokens_and_never_shows_them(client, owner, twitch):
    account = twitch.add_account("2002", "jesuschannel", ["user:read:chat", "user:write:chat", "channel:bot"])
    client.force_login(owner)
    start = client.post(reverse("chat:twitch-connect"), {"owner": "on"})
    assert start.status_code == 302 and start.url.startswith(f"{twitch.base}/oauth2/authorize?")
    query = parse_qs(urlsplit(start.url).query)
    assert query["client_id"] == [CLIENT_ID] and "channel:read:redemptions" in query["scope"][0]
    assert query["redirect_uri"] == ["http://testserver/chat/twitch/callback"]
    code = twitch.authorization_code("2002")

    back = client.get(reverse("chat:twitch-callback"), {"code": code, "state": query["state"][0]})
    assert back.status_code == 302
    stored = TwitchAccount.objects.get()
    assert (stored.user_id, stored.login) == ("2002", "jesuschannel")
    assert stored.tokens() == (account.access, account.refresh)
    assert account.access not in stored.access_token and account.refresh not in stored.refresh_token
    page = client.get(reverse("chat:settings")).content.decode()
    assert "jesuschannel" in page and "reads chat" in page
    for secret in (account.access, account.refresh, stored.access_token, CLIENT_SECRET, CLIENT_ID):
        assert secret not in page

    # The state is single-use: replaying the callback is refused.
    again = client.get(reverse("chat:twitch-callback"), {"code": code, "state": query["state"][0]})
    assert again.status_code == 400


@override_settings(**TWITCH)
def test_a_callback_with_a_forged_state_is_refused(client, owner, twitch):
    client.force_login(owner)
    client.post(reverse("chat:twitch-connect"))
    response = client.get(reverse("chat:twitch-callback"), {"code": "x", "state": "forged"})
    assert response.status_code == 400 and not TwitchAccount.objects.exists()


@override_settings(**TWITCH)
def test_a_refused_code_is_reported_without_secrets(client, owner, twitch):
    client.force_login(owner)
    start = client.post(reverse("chat:twitch-connect"))
    state = parse_qs(urlsplit(start.url).query)["state"][0]
    response = client.get(
        reverse("chat:twitch-callback"), {"code": "not-a-code", "state": state}, follow=True
    )
    page = response.content.decode()
    assert "Twitch refused the connection (HTTP 400)" in page and CLIENT_SECRET not in page
    assert not TwitchAccount.objects.exists()


@override_settings(**TWITCH)
def test_disconnecting_revokes_and_forgets_the_account(client, owner, twitch):
    account = twitch.add_account("1001", "studiobot", ["user:read:chat"])
    stored = TwitchAccount.store(
        user_id="1001",
        login="studiobot",
        access=account.access,
        refresh=account.refresh,
        scopes=account.scopes,
    )
    client.force_login(owner)
    assert client.post(reverse("chat:twitch-disconnect", kwargs={"pk": stored.pk})).status_code == 302
    assert not TwitchAccount.objects.exists() and twitch.revoked == [account.access]


@override_settings(TWITCH_CLIENT_ID="", TWITCH_CLIENT_SECRET="")
def test_without_a_twitch_app_the_page_says_so(client, owner):
    client.force_login(owner)
    page = client.get(reverse("chat:settings")).content.decode()
    assert "TWITCH_CLIENT_ID and TWITCH_CLIENT_SECRET are missing" in page
    assert client.post(reverse("chat:twitch-connect")).status_code == 302


def test_mode_switches_and_saved_settings_go_to_the_moderator_log(client, moderator):
    from aijesus.studio.models import ModeratorAction

    client.force_login(moderator)
    client.post("/chat/mode", {"mode": "auto"})
    assert ModeratorAction.objects.get(kind="chat").detail == "mode auto"
