"""Twitch's AutoMod as a prescreen step, against the local Twitch stand-in speaking Helix's format:
permitted and refused messages, slow / failing / malformed / retired endpoints, the rate budget,
a token without moderation:read, and the chat page and Connect Twitch that go with them."""

from __future__ import annotations

import pytest
import twitchio
from django.test import override_settings
from django.urls import reverse

from aijesus.chat.ingest import Ingestor
from aijesus.chat.models import ChatSettings, TwitchAccount
from aijesus.chat.screen.automod import Budget
from aijesus.studio.models import Question
from tests.chat.conftest import msg
from tests.chat.fake_twitch import CLIENT_ID, FakeTwitch

pytestmark = pytest.mark.django_db
OWNER = ("2002", "jesuschannel")


@pytest.fixture
def twitch(monkeypatch):
    server = FakeTwitch(keepalive=1.0).start()
    monkeypatch.setattr(twitchio.http.Route, "BASE", f"{server.base}/helix/")
    monkeypatch.setattr(twitchio.http.Route, "ID_BASE", f"{server.base}/")
    with override_settings(TWITCH_CHANNEL=OWNER[1], TWITCH_CLIENT_ID=CLIENT_ID, CHAT_CHECK_TIMEOUT=0.5):
        yield server
    server.automod_release.set()
    server.stop()


def owner(server: FakeTwitch, scopes=("moderation:read", "channel:bot")) -> TwitchAccount:
    account = server.add_account(OWNER[0], OWNER[1], list(scopes))
    return TwitchAccount.store(
        user_id=account.user_id,
        login=account.login,
        access=account.access,
        refresh=account.refresh,
        scopes=list(scopes),
    )


def automod_on() -> None:
    ChatSettings.load()
    ChatSettings.objects.update(cooldown_seconds=0, automod_check=True)


def reason(viewer: str) -> tuple[str, str, str]:
    q = Question.objects.get(viewer_name=viewer)
    return q.status, q.prescreen_verdict, q.prescreen_reason


def test_a_permitted_and_a_refused_message_in_one_call(twitch):
    owner(twitch)
    automod_on()
    twitch.automod_words = {"idiot"}
    Ingestor(source="twitch").process(
        [
            msg("What is love?", "ana", message_id="m-1"),
            msg("Why are you such an idiot?", "troll", message_id="m-2"),
        ]
    )
    assert len(twitch.automod_requests) == 1
    call = twitch.automod_requests[0]
    assert call["broadcaster_id"] == OWNER[0]
    assert [(row["msg_id"], row["msg_text"]) for row in call["data"]] == [
        ("m-1", "What is love?"),
        ("m-2", "Why are you such an idiot?"),
    ]
    assert reason("ana")[:2] == ("pending", "passed")
    assert reason("troll") == ("pending", "flagged", "Twitch AutoMod would hold this message")


def test_off_by_default_and_dropped_messages_are_not_sent(twitch):
    owner(twitch)
    ChatSettings.load()
    ChatSettings.objects.update(cooldown_seconds=0)
    Ingestor(source="twitch").process([msg("What is love?", "ana")])
    assert twitch.automod_requests == []
    automod_on()
    Ingestor(source="twitch").process([msg("http://spam.example", "spam"), msg("Who are you?", "bob")])
    assert [row["msg_text"] for row in twitch.automod_requests[0]["data"]] == ["Who are you?"]


@pytest.mark.parametrize(
    ("mode", "why"),
    [
        ("slow", "Twitch did not answer within 0.5 s"),
        ("fail", "Twitch answered HTTP 500"),
        ("malformed", "not the AutoMod status format"),
    ],
)
def test_slow_failing_and_malformed_answers_keep_the_message_as_not_checked(twitch, mode, why):
    owner(twitch)
    automod_on()
    twitch.automod_mode = mode
    Ingestor(source="twitch").process([msg("What is love?", "ana")])
    status, verdict, said = reason("ana")
    assert (status, verdict) == ("pending", "flagged")
    assert said.startswith("Twitch AutoMod: not checked (") and why in said


def test_a_retired_endpoint_turns_the_step_off_once_and_the_page_says_so(twitch, client, moderator):
    owner(twitch)
    automod_on()
    twitch.automod_mode = "gone"
    ingestor = Ingestor(source="twitch")
    ingestor.process([msg("What is love?", "ana")])
    ingestor.process([msg("Who are you?", "bob")])
    assert len(twitch.automod_requests) == 1  # said once, then off
    assert reason("ana")[:2] == ("pending", "passed") and reason("bob")[:2] == ("pending", "passed")
    row = ChatSettings.load()
    assert not row.automod_check and "HTTP 404" in row.automod_status
    client.force_login(moderator)
    page = client.get(reverse("chat:settings")).content.decode()
    assert "turned itself off" in page and "HTTP 404" in page


def test_a_token_without_the_scope_and_no_owner_account(twitch, client, moderator):
    automod_on()
    client.force_login(moderator)
    assert (
        "owner&#x27;s account (TWITCH_CHANNEL) is not connected"
        in client.get(reverse("chat:settings")).content.decode()
    )
    Ingestor(source="twitch").process([msg("What is love?", "ana")])
    assert "not connected" in reason("ana")[2] and twitch.automod_requests == []

    owner(twitch, scopes=("channel:bot",))
    page = client.get(reverse("chat:settings")).content.decode()
    assert "token lacks moderation:read" in page
    Ingestor(source="twitch").process([msg("Who are you?", "bob")])
    assert reason("bob")[1] == "flagged" and "lacks moderation:read" in reason("bob")[2]


def test_the_rate_budget_is_kept_without_asking_twitch(twitch):
    owner(twitch)
    automod_on()
    with override_settings(CHAT_AUTOMOD_PER_MINUTE=2, CHAT_AUTOMOD_PER_HOUR=50):
        ingestor = Ingestor(source="twitch")
        for i in range(3):
            ingestor.process([msg(f"Question number {i}?", f"v{i}")])
    assert len(twitch.automod_requests) == 2
    assert "2 AutoMod checks a minute" in reason("v2")[2]


def test_the_budget_counts_minutes_and_hours():
    now = [0.0]
    budget = Budget(per_minute=2, per_hour=3, clock=lambda: now[0])
    assert budget.take() and budget.take() and not budget.take()
    now[0] = 61.0
    assert budget.take() and not budget.take()  # the hour's three are spent
    now[0] = 3601.0
    assert budget.take()


def test_connect_twitch_asks_for_moderation_read_only_with_the_check_on(twitch, client, owner):
    client.force_login(owner)
    with override_settings(TWITCH_CLIENT_SECRET="secret"):
        plain = client.post(reverse("chat:twitch-connect"), {"owner": "on"})
        automod_on()
        with_automod = client.post(reverse("chat:twitch-connect"), {"owner": "on"})
        bot = client.post(reverse("chat:twitch-connect"))
    assert "moderation%3Aread" not in plain.url and "moderation%3Aread" in with_automod.url
    assert "moderation%3Aread" not in bot.url
