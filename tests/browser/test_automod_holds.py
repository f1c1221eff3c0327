"""A message Twitch's AutoMod holds, live in the dashboard: the real chat reader (twitchio on the
local Twitch stand-in's EventSub socket) writes it, the page shows it with its AutoMod badge, and
the moderator's Approve reaches Twitch as ALLOW."""

from __future__ import annotations

import pytest

from aijesus.chat.management.commands.readchat import holds_wanted
from aijesus.chat.models import ChatSettings
from aijesus.chat.screen.automod import MANAGE_SCOPE
from aijesus.chat.sources.twitch import CHANNEL_SCOPES, CHAT_SCOPES
from tests.browser.conftest import log_in
from tests.chat.fake_twitch import CLIENT_ID
from tests.chat.twitch_reader import CHANNEL, Reader, connect, fake_twitch

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


@pytest.fixture
def twitch(monkeypatch, settings):
    settings.TWITCH_CHANNEL, settings.TWITCH_CLIENT_ID = CHANNEL[1], CLIENT_ID
    with fake_twitch(monkeypatch) as server:
        yield server


def test_a_held_message_appears_live_with_its_badge_and_is_approved(studio, browser, moderator_login, twitch):
    ChatSettings.load()
    ChatSettings.objects.update(automod_holds=True, cooldown_seconds=0)
    connect(twitch, CHANNEL, CHAT_SCOPES + CHANNEL_SCOPES + [MANAGE_SCOPE])
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(page, studio)

    with Reader(CHANNEL[0], holds_wanted=holds_wanted):
        twitch.wait_for(lambda: twitch.subscribed("automod.message.hold"))
        held = twitch.hold(CHANNEL, ("7", "ana"), "Why do you <b>hate</b> sinners?", "aggressive", 2)

        row = page.locator("#pending li.question", has_text="Why do you <b>hate</b> sinners?")
        row.wait_for(timeout=15_000)
        badge = row.locator(".automod")
        assert badge.inner_text() == "held by Twitch AutoMod · aggressive · level 2"
        assert badge.get_attribute("data-hold") == "held"
        assert row.locator(".verdict").inner_text() == "flagged"

        row.locator("button.approve").click()
        sent = twitch.wait_for(lambda: twitch.hold_actions)
        assert sent == [{"user_id": CHANNEL[0], "msg_id": held, "action": "ALLOW"}]
        # The badge follows Twitch's answer, on the page that approved it.
        page.locator(".question .automod[data-hold=approved]").wait_for(timeout=15_000)

    assert errors == []
