"""twitchio against a local server speaking Twitch's protocol: chat becomes questions, and a
session_reconnect, a dropped socket and unreadable payloads are all survived."""

from __future__ import annotations

import pytest
from django.test import override_settings

from aijesus.chat.models import ChatSettings, SupportEvent
from aijesus.chat.replies import Replier
from aijesus.chat.sources.twitch import CHANNEL_SCOPES, CHAT_SCOPES
from aijesus.studio.models import Question
from tests.chat.twitch_events import gift_event
from tests.chat.twitch_reader import BOT, CHANNEL, Reader, connect, question, say

pytestmark = [pytest.mark.slow, pytest.mark.timeout(90), pytest.mark.django_db(transaction=True)]


def test_chat_becomes_questions_through_reconnects_drops_and_bad_payloads(twitch):
    ChatSettings.load()
    twitch.add_user(*CHANNEL)
    connect(twitch, BOT, CHAT_SCOPES)
    with Reader(BOT[0]):
        first = twitch.wait_for(lambda: twitch.subscribed("channel.chat.message"))
        say(twitch, ("7", "ana"), "What is grace?", badges=("subscriber",), bits=200)
        asked = question(twitch, "What is grace?")
        assert (asked.viewer_id, asked.viewer_name, asked.source) == ("7", "Ana", "twitch")
        assert asked.priority == pytest.approx(1 + 2 + 2)  # base, 200 bits, subscriber

        # Twitch asks the client to move: it connects to the new URL, the subscription moves along.
        twitch.ask_to_reconnect(first)
        second = twitch.wait_for(
            lambda: (s := twitch.subscribed("channel.chat.message")) and s is not first and s
        )
        say(twitch, ("8", "ben"), "Who was Peter?")
        question(twitch, "Who was Peter?")

        # The network drops: twitchio reconnects and must subscribe again on the new session.
        before = len(twitch.subscribe_requests)
        twitch.drop(second)
        third = twitch.wait_for(
            lambda: (s := twitch.subscribed("channel.chat.message")) and s is not second and s
        )
        assert len(twitch.subscribe_requests) > before
        say(twitch, ("9", "cy"), "Where is Galilee?")
        question(twitch, "Where is Galilee?")

        # Garbage on the socket is logged and skipped; the next good message still arrives.
        twitch.send_raw(third, "this is not json")
        twitch.send_raw(
            third,
            '{"metadata": {"message_type": "notification", "subscription_type": '
            '"channel.chat.message", "subscription_version": "1"}, "payload": {"event": {}}}',
        )
        say(twitch, BOT, "@ana your question is #1 in the queue")  # our own bot: not a question
        say(twitch, ("10", "dee"), "What is the Trinity?")
        question(twitch, "What is the Trinity?")

    assert set(Question.objects.values_list("viewer_name", flat=True)) == {"Ana", "Ben", "Cy", "Dee"}


def test_the_channel_owner_feeds_priority_and_replies_go_to_chat(twitch):
    row = ChatSettings.load()
    row.replies = True
    row.save()
    connect(twitch, CHANNEL, CHAT_SCOPES + CHANNEL_SCOPES)  # the owner is the bot
    replier = Replier(interval=0.1)
    with Reader(CHANNEL[0], replier=replier):
        twitch.wait_for(lambda: twitch.subscribed("channel.subscription.gift"))
        twitch.notify("channel.subscription.gift", gift_event(CHANNEL, ("7", "ana"), 3))
        twitch.wait_for(lambda: SupportEvent.objects.exists())
        say(twitch, ("7", "ana"), "How do I forgive my brother?")
        asked = question(twitch, "How do I forgive my brother?")
        assert asked.priority == pytest.approx(1 + 3) and "gifted 3 subs" in asked.priority_reason
        sent = twitch.wait_for(lambda: twitch.sent_messages)
    assert sent[0]["message"] == "@Ana your question is #1 in the queue (~1 min)"
    assert (sent[0]["broadcaster_id"], sent[0]["sender_id"]) == (CHANNEL[0], CHANNEL[0])


@override_settings(TWITCH_BOT_LOGIN="")
def test_an_expired_token_is_refreshed_and_saved_sealed(twitch):
    ChatSettings.load()
    twitch.add_user(*CHANNEL)
    account = connect(twitch, BOT, CHAT_SCOPES, expired=True)
    old_sealed = account.access_token
    with Reader(BOT[0]):
        twitch.wait_for(lambda: twitch.subscribed("channel.chat.message"))
        account.refresh_from_db()
    fresh = twitch.accounts[BOT[0]]
    assert account.tokens() == (fresh.access, fresh.refresh)
    assert account.access_token != old_sealed and fresh.access not in account.access_token
    assert any(r.get("grant_type") == "refresh_token" for r in twitch.token_requests)
