"""The watchdog covers every EventSub socket, not only the bot's: when the channel owner's socket
drops while Twitch refuses its subscriptions, twitchio gives them up (and Twitch then closes the
unused socket); the watchdog subscribes to subs, gifts, redemptions and AutoMod holds again.
twitchio against the local server speaking Twitch's protocol."""

from __future__ import annotations

import pytest

from aijesus.chat.models import ChatSettings, SupportEvent
from aijesus.chat.screen.automod import MANAGE_SCOPE
from aijesus.chat.sources import twitch as twitch_source
from aijesus.chat.sources.twitch import CHANNEL_SCOPES, CHAT_SCOPES
from tests.chat.twitch_events import gift_event
from tests.chat.twitch_reader import BOT, CHANNEL, Reader, connect, question, say

pytestmark = [pytest.mark.slow, pytest.mark.timeout(90), pytest.mark.django_db(transaction=True)]

OWNERS = {
    "channel.subscribe",
    "channel.subscription.message",
    "channel.subscription.gift",
    "channel.channel_points_custom_reward_redemption.add",
    "automod.message.hold",
    "automod.message.update",
}


def types_on(session) -> set[str]:
    return {s["type"] for s in session.subscriptions.values()} if session else set()


def test_a_dropped_owner_socket_gets_its_subscriptions_back(twitch, monkeypatch):
    monkeypatch.setattr(twitch_source, "WATCHDOG_SECONDS", 0.2)
    twitch.unused_timeout = 1.0
    ChatSettings.load()
    connect(twitch, BOT, CHAT_SCOPES)
    connect(twitch, CHANNEL, CHAT_SCOPES + CHANNEL_SCOPES + [MANAGE_SCOPE])
    with Reader(BOT[0], holds_wanted=lambda: True):
        owners = twitch.wait_for(
            lambda: (s := twitch.subscribed("channel.subscription.gift")) and types_on(s) == OWNERS and s
        )
        bots = twitch.subscribed("channel.chat.message")
        assert bots is not owners

        # The owner's connection drops while Helix fails: twitchio reconnects, its subscriptions
        # are refused, and Twitch closes the new socket left without any.
        twitch.refuse_subscriptions.add(CHANNEL[0])
        twitch.drop(owners)
        twitch.wait_for(
            lambda: twitch.closed_unused and {r["type"] for r in twitch.refused_subscriptions} >= OWNERS
        )
        assert twitch.subscribed("channel.subscription.gift") is None

        # Helix is back: the watchdog subscribes again to everything the owner's socket carried.
        twitch.refuse_subscriptions.clear()
        again = twitch.wait_for(
            lambda: (s := twitch.subscribed("channel.subscription.gift")) and types_on(s) == OWNERS and s
        )
        assert again is not owners and not again.closed
        assert twitch.subscribed("channel.chat.message") is bots  # the bot's socket was left alone

        twitch.notify("channel.subscription.gift", gift_event(CHANNEL, ("7", "ana"), 3))
        twitch.wait_for(lambda: SupportEvent.objects.filter(kind="gift").exists())
        say(twitch, ("7", "ana"), "Is the owner's socket back?")
        assert question(twitch, "Is the owner's socket back?").priority > 1
