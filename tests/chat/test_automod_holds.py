"""Messages Twitch's AutoMod holds, in our queue: a real reader (twitchio on the EventSub socket of
the local Twitch stand-in) receives holds; our approve / reject reach Twitch as ALLOW / DENY; holds
resolved on Twitch move our rows; failing, slow and refusing Twitch answers keep the decision."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from aijesus.chat.holds import MAX_ATTEMPTS
from aijesus.chat.ingest import Ingestor
from aijesus.chat.management.commands.readchat import holds_wanted
from aijesus.chat.message import Held
from aijesus.chat.models import AutoModHold, ChatSettings
from aijesus.chat.screen.automod import MANAGE_SCOPE
from aijesus.chat.sources.twitch import CHANNEL_SCOPES, CHAT_SCOPES
from aijesus.studio.models import ModeratorAction, Question
from aijesus.studio.services import question_approve, question_reject
from tests.chat.conftest import msg
from tests.chat.fake_twitch import CLIENT_ID
from tests.chat.twitch_reader import CHANNEL, Reader, connect, question, say

OWNER_SCOPES = CHAT_SCOPES + CHANNEL_SCOPES + [MANAGE_SCOPE]
MOD = ("3003", "twitchmod")


@pytest.fixture
def holds_on(twitch):
    ChatSettings.load()
    ChatSettings.objects.update(cooldown_seconds=0, automod_holds=True)
    with override_settings(TWITCH_CHANNEL=CHANNEL[1], TWITCH_CLIENT_ID=CLIENT_ID, CHAT_CHECK_TIMEOUT=0.5):
        yield twitch


def hold_of(q: Question) -> AutoModHold:
    return AutoModHold.objects.get(question=q)


def automod_log(q: Question) -> list[str]:
    return list(ModeratorAction.objects.filter(question=q, kind="automod").values_list("detail", flat=True))


@pytest.mark.slow
@pytest.mark.timeout(90)
@pytest.mark.django_db(transaction=True)
def test_held_questions_approved_and_rejected_here_are_resolved_on_twitch(holds_on, moderator, persona):
    twitch = holds_on
    connect(twitch, CHANNEL, OWNER_SCOPES)  # the owner's account reads chat and moderates
    with Reader(CHANNEL[0], holds_wanted=holds_wanted) as reader:
        # Two subscriptions, one after the other: wait for both, not for the first alone.
        twitch.wait_for(
            lambda: twitch.subscribed("automod.message.hold") and twitch.subscribed("automod.message.update")
        )
        kept = twitch.hold(CHANNEL, ("7", "ana"), "Why do you hate sinners so much?", "aggressive", 2)
        refused = twitch.hold(CHANNEL, ("8", "ben"), "Tell me something nasty", "swearing", 3)
        allowed_q = question(twitch, "Why do you hate sinners so much?")
        denied_q = question(twitch, "Tell me something nasty")
        assert (allowed_q.status, allowed_q.prescreen_verdict) == ("pending", "flagged")
        assert allowed_q.prescreen_reason.startswith("held by Twitch AutoMod: aggressive, level 2")
        assert (hold_of(allowed_q).category, hold_of(allowed_q).level, hold_of(allowed_q).state) == (
            "aggressive",
            2,
            "held",
        )

        question_approve(question=allowed_q, by=moderator)
        question_reject(question=denied_q, by=moderator, reason="not for this stream")
        twitch.wait_for(lambda: len(twitch.hold_actions) == 2)
        assert sorted((a["msg_id"], a["action"], a["user_id"]) for a in twitch.hold_actions) == sorted(
            [(kept, "ALLOW", CHANNEL[0]), (refused, "DENY", CHANNEL[0])]
        )
        twitch.wait_for(
            lambda: hold_of(allowed_q).state == "approved" and hold_of(denied_q).state == "denied"
        )
        # Twitch then puts the allowed message into chat, with its own id: not a second question.
        twitch.wait_for(lambda: reader.ingestor.stats["ignored"] >= 1)

    assert Question.objects.filter(text="Why do you hate sinners so much?").count() == 1
    hold = hold_of(allowed_q)
    assert (hold.resolved_by, hold.twitch_note) == ("mod in the studio", "ALLOW taken by Twitch")
    assert automod_log(allowed_q) == ["Twitch AutoMod: ALLOW sent, Twitch took it"]
    assert automod_log(denied_q) == ["Twitch AutoMod: DENY sent, Twitch took it"]
    assert ModeratorAction.objects.get(question=allowed_q, kind="automod").user == moderator


@pytest.mark.slow
@pytest.mark.timeout(90)
@pytest.mark.django_db(transaction=True)
def test_holds_resolved_on_twitch_move_our_rows(holds_on):
    twitch = holds_on
    connect(twitch, CHANNEL, OWNER_SCOPES)
    with Reader(CHANNEL[0], holds_wanted=holds_wanted) as reader:
        twitch.wait_for(lambda: twitch.subscribed("automod.message.hold"))
        ids = {
            status: twitch.hold(CHANNEL, (str(n), f"viewer{n}"), f"Question number {n}?", "bullying", 1)
            for n, status in enumerate(["approved", "denied", "expired"], start=10)
        }
        rows = {status: question(twitch, f"Question number {n}?") for n, status in enumerate(ids, start=10)}
        # Unreadable hold events are skipped; the reader goes on.
        session = twitch.subscribed("automod.message.hold")
        twitch.send_raw(
            session,
            '{"metadata": {"message_type": "notification", "subscription_type": "automod.message.hold",'
            ' "subscription_version": "2"}, "payload": {"event": {"message_id": 5}}}',
        )
        for status, message_id in ids.items():
            twitch.resolve_hold(message_id, status, MOD)
        twitch.wait_for(lambda: all(hold_of(q).state == s for s, q in rows.items()))
        twitch.wait_for(lambda: reader.ingestor.stats["ignored"] >= 1)  # the allowed one, back in chat

    allowed, denied, expired = (
        Question.objects.get(pk=rows[s].pk) for s in ("approved", "denied", "expired")
    )
    assert allowed.status == "pending"  # an ordinary question now: our moderators still decide
    assert hold_of(allowed).resolved_by == "Twitchmod on Twitch"
    assert automod_log(allowed) == [
        "Twitch AutoMod: allowed into chat on Twitch by Twitchmod; waits in the queue"
    ]
    assert (denied.status, denied.status_reason) == ("rejected", "denied on Twitch by Twitchmod")
    assert (expired.status, expired.status_reason) == (
        "rejected",
        "the hold expired on Twitch before anyone allowed it",
    )
    assert Question.objects.count() == 3
    assert twitch.hold_actions == []  # Twitch's own decisions are not sent back to it


# -- the decisions' way to Twitch, driven directly (no socket): Twitch failing, slow, refusing


def held_question(ingestor: Ingestor, message_id: str, text: str = "Is it wrong to be angry?") -> Question:
    ingestor.process([msg(text, message_id=message_id, held=Held("automod", "aggressive", 1))])
    return Question.objects.get(automod_hold__message_id=message_id)


def due_now(q: Question) -> None:
    AutoModHold.objects.filter(question=q).update(next_attempt_at=timezone.now())


@pytest.mark.django_db
def test_a_failing_twitch_keeps_the_decision_and_tries_again(holds_on, moderator, persona):
    twitch = holds_on
    connect(twitch, CHANNEL, OWNER_SCOPES)
    ingestor = Ingestor(source="twitch")
    twitch.held["m-1"] = {}  # Twitch holds it
    q = held_question(ingestor, "m-1")
    question_approve(question=q, by=moderator)

    twitch.hold_mode = "fail"
    assert ingestor.send_hold_decisions() == 0
    hold = hold_of(q)
    assert (hold.state, hold.attempts) == ("held", 1)
    assert hold.twitch_note == "ALLOW not taken by Twitch: Twitch answered HTTP 500; trying again"
    assert ingestor.send_hold_decisions() == 0 and len(twitch.hold_actions) == 1  # waits its turn

    twitch.hold_mode = "ok"
    due_now(q)
    assert ingestor.send_hold_decisions() == 1
    assert (hold_of(q).state, hold_of(q).twitch_note) == ("approved", "ALLOW taken by Twitch")


@pytest.mark.django_db
def test_a_slow_twitch_times_out_and_a_gone_hold_is_not_retried(holds_on, moderator, persona):
    twitch = holds_on
    connect(twitch, CHANNEL, OWNER_SCOPES)
    ingestor = Ingestor(source="twitch")
    twitch.held["m-slow"] = {}
    slow = held_question(ingestor, "m-slow")
    gone = held_question(ingestor, "m-gone", "Why is the sky blue?")  # Twitch's hold expired meanwhile
    question_reject(question=gone, by=moderator, reason="off topic")
    ingestor.send_hold_decisions()
    hold = hold_of(gone)
    assert (hold.state, hold.attempts) == ("held", MAX_ATTEMPTS)  # final: never asked again
    assert hold.twitch_note == (
        "DENY not taken by Twitch: Twitch no longer holds this message (resolved or expired there)"
    )

    question_approve(question=slow, by=moderator)
    twitch.hold_mode = "slow"
    ingestor.send_hold_decisions()
    twitch.automod_release.set()
    assert hold_of(slow).twitch_note == (
        "ALLOW not taken by Twitch: Twitch did not answer within 0.5 s; trying again"
    )
    assert len(twitch.hold_actions) == 2  # the gone one was not asked about again

    # Twitch keeps a hold for minutes only: a decision that could not reach it in time stops.
    AutoModHold.objects.filter(question=slow).update(held_at=timezone.now() - timedelta(minutes=11))
    due_now(slow)
    twitch.hold_mode = "ok"
    ingestor.send_hold_decisions()
    assert len(twitch.hold_actions) == 2  # not sent: it would only be refused
    assert hold_of(slow).twitch_note == (
        "ALLOW not taken by Twitch: held more than 10 minutes ago: Twitch has let it expire"
    )
    assert automod_log(gone) == [f"Twitch AutoMod: {hold.twitch_note}"]
    assert gone.status == "rejected"  # our decision stands


@pytest.mark.django_db
def test_a_token_without_the_scope_is_named_and_the_decision_kept(holds_on, moderator, persona, client):
    twitch = holds_on
    connect(twitch, CHANNEL, CHAT_SCOPES + CHANNEL_SCOPES)  # no moderator:manage:automod
    ingestor = Ingestor(source="twitch")
    q = held_question(ingestor, "m-2")
    question_approve(question=q, by=moderator)
    ingestor.send_hold_decisions()
    assert hold_of(q).twitch_note == (
        "ALLOW not taken by Twitch: the channel owner's token lacks moderator:manage:automod: "
        "connect Twitch again as the owner; trying again"
    )
    assert twitch.hold_actions == []  # nothing sent without the scope

    client.force_login(moderator)
    page = client.get("/chat/").content.decode()
    assert (
        "Held messages in the queue is on, but jesuschannel&#x27;s token lacks moderator:manage:automod"
        in page
    )


@pytest.mark.django_db
def test_holds_off_ignores_held_messages_and_connect_asks_for_the_scope_only_when_on(holds_on, moderator):
    from aijesus.chat import oauth

    ChatSettings.objects.update(automod_holds=False)
    ingestor = Ingestor(source="twitch")
    ingestor.process([msg("Held but unwanted?", message_id="m-3", held=Held("automod", "aggressive", 1))])
    assert not Question.objects.exists()
    assert MANAGE_SCOPE not in oauth.scopes_for(owner=True)
    assert MANAGE_SCOPE in oauth.scopes_for(owner=True, holds=True)
    assert MANAGE_SCOPE not in oauth.scopes_for(owner=False, holds=True)  # the bot does not moderate


@pytest.mark.django_db
def test_a_question_our_queue_dropped_is_left_to_twitch(holds_on, moderator, persona):
    twitch = holds_on
    connect(twitch, CHANNEL, OWNER_SCOPES)
    ingestor = Ingestor(source="twitch")
    q = held_question(ingestor, "m-4")
    Question.objects.get(pk=q.pk).drop(reason="queue full")
    assert ingestor.send_hold_decisions() == 0
    assert twitch.hold_actions == [] and hold_of(q).state == "held"


@pytest.mark.slow
@pytest.mark.timeout(90)
@pytest.mark.django_db(transaction=True)
def test_twitch_refusing_the_subscription_leaves_chat_running_until_the_owner_grants_it(
    holds_on, monkeypatch
):
    from aijesus.chat.sources import twitch as source

    monkeypatch.setattr(source, "WATCHDOG_SECONDS", 0.2)
    monkeypatch.setattr(source, "HOLDS_RETRY_SECONDS", 0.5)
    twitch = holds_on
    connect(twitch, CHANNEL, CHAT_SCOPES + CHANNEL_SCOPES)  # no moderator:manage:automod
    with Reader(CHANNEL[0], holds_wanted=holds_wanted):
        twitch.wait_for(lambda: any(r["type"] == "automod.message.hold" for r in twitch.subscribe_requests))
        say(twitch, ("7", "ana"), "What is mercy?")
        question(twitch, "What is mercy?")
        assert twitch.subscribed("channel.chat.message") is not None
        assert twitch.subscribed("automod.message.hold") is None

        # The owner connects again with the scope (Connect Twitch): no restart needed.
        connect(twitch, CHANNEL, OWNER_SCOPES)
        twitch.wait_for(lambda: twitch.subscribed("automod.message.hold"))
