"""`readchat --replay`: a recorded chat through the same prescreen and ingest as Twitch."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from aijesus.chat.message import ChatMessage, Support
from aijesus.chat.models import SupportEvent
from aijesus.chat.sources.replay import ReplayError, ReplaySource, parse_line
from aijesus.studio.models import Question

DEMO = Path(__file__).resolve().parents[2] / "aijesus" / "chat" / "samples" / "demo.jsonl"


class ListSink:
    def __init__(self) -> None:
        self.events: list = []

    def submit(self, event) -> bool:
        self.events.append(event)
        return True

    def put(self, event, timeout=None) -> None:
        self.events.append(event)

    def ignore_viewers(self, viewer_ids) -> None:
        pass


def test_a_line_becomes_a_message_or_support():
    message = parse_line({"user_id": "7", "user": "ana", "text": "Hi?", "badges": ["vip"], "bits": 100})
    assert isinstance(message, ChatMessage)
    assert (message.viewer_id, message.viewer_name, message.badges, message.bits) == (
        "7",
        "ana",
        {"vip"},
        100,
    )
    gift = parse_line({"user": "nora", "kind": "gift", "count": 5})
    assert isinstance(gift, Support) and (gift.kind, gift.amount) == ("gift", 5.0)
    redeemed = parse_line({"user": "ada", "kind": "redemption", "reward": "Ask", "text": "Why?"})
    assert isinstance(redeemed, ChatMessage) and redeemed.reward == "Ask"


@pytest.mark.parametrize(
    "line",
    [
        [1, 2],
        {"text": "no user"},
        {"user": "a"},
        {"user": "a", "text": "x", "bits": -5},
        {"user": "a", "text": "x", "bits": float("inf")},
        {"user": "a", "text": "x", "bits": float("nan")},
        {"user": "a", "kind": "gift", "count": 1e400},
        {"user": "a", "kind": "x"},
    ],
)
def test_bad_lines_are_refused_with_a_reason(line):
    with pytest.raises(ReplayError):
        parse_line(line)


def test_the_replay_keeps_time_scaled_by_speed_and_skips_bad_lines(tmp_path):
    path = tmp_path / "chat.jsonl"
    path.write_text(
        "\n".join(
            [
                json.dumps({"t": 0, "user": "a", "text": "first question?"}),
                "not json at all",
                json.dumps({"t": 0.4, "user": "b"}),
                json.dumps({"t": 0.6, "user": "c", "text": "last question?"}),
            ]
        )
    )
    sink, source = ListSink(), ReplaySource(path, speed=2.0)
    started = time.monotonic()
    source.run(sink, threading.Event())
    elapsed = time.monotonic() - started
    assert [e.viewer_name for e in sink.events] == ["a", "c"]
    assert 0.28 <= elapsed < 1.0  # 0.6 s of chat at twice the speed
    assert (source.sent, source.skipped) == (2, 1)


def test_a_replay_stops_when_asked(tmp_path):
    path = tmp_path / "slow.jsonl"
    path.write_text(json.dumps({"t": 30, "user": "a", "text": "much later?"}))
    stop = threading.Event()
    threading.Timer(0.2, stop.set).start()
    started = time.monotonic()
    ReplaySource(path, speed=1.0).run(ListSink(), stop)
    assert time.monotonic() - started < 2


@pytest.mark.django_db(transaction=True)
def test_readchat_replays_the_shipped_demo_into_the_queue(capsys):
    call_command("readchat", replay=str(DEMO), speed=0)
    out = capsys.readouterr().out
    assert "Replay done: 15 events, 13 questions" in out
    rows = {q.viewer_name: q for q in Question.objects.all()}
    tom = Question.objects.filter(viewer_name="tom").order_by("pk")
    assert [q.status for q in tom] == ["pending", "dropped"]  # one question waiting per viewer
    assert "is still waiting" in tom[1].status_reason
    assert rows["li"].prescreen_verdict == "merged" and f"#{tom[0].pk}" in rows["li"].status_reason
    assert rows["spambot"].status == "dropped" and "link" in rows["spambot"].status_reason
    assert rows["eve"].prescreen_verdict == "flagged"
    assert "gifted 5 subs earlier" in rows["nora"].priority_reason
    assert "redeemed 'Ask on stream'" in rows["ada"].priority_reason
    assert rows["kai"].status == "dropped" and "repeated" in rows["kai"].status_reason
    assert all(q.source == "replay" for q in rows.values())
    assert SupportEvent.objects.count() == 2


def test_readchat_explains_a_missing_file():
    with pytest.raises(CommandError, match="no such replay file"):
        call_command("readchat", replay="/nonexistent/chat.jsonl")
