"""CHAT_REPLY_INTERVAL cannot be set faster than Twitch lets a bot that is not a moderator speak:
20 messages in any 30 seconds (100 as a moderator or the broadcaster), 30 minutes of silence past
that."""

from __future__ import annotations

import os
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from aijesus.chat.replies import Replier

ROOT = Path(__file__).resolve().parents[2]
TWITCH_LIMIT = 20  # messages in any 30 s for an account that is neither moderator nor broadcaster


def interval_with(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, value: str) -> float:
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CHAT_REPLY_INTERVAL", value)
    return runpy.run_path(str(ROOT / "aijesus" / "settings.py"))["CHAT_REPLY_INTERVAL"]


def test_an_interval_below_twitchs_limit_stops_start_up_with_a_clear_message(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**os.environ, "DATA_DIR": str(tmp_path), "CHAT_REPLY_INTERVAL": "1.5"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "CHAT_REPLY_INTERVAL=1.5 is below the minimum 1.6" in result.stderr


@pytest.mark.parametrize("value", ["1", "0.5", "1.59"])
def test_every_interval_a_non_moderator_bot_could_exceed_the_limit_with_is_refused(
    monkeypatch, tmp_path, value
):
    with pytest.raises(ImproperlyConfigured, match=r"is below the minimum 1\.6"):
        interval_with(monkeypatch, tmp_path, value)


def test_the_minimum_and_the_default_are_accepted(monkeypatch, tmp_path):
    assert interval_with(monkeypatch, tmp_path, "1.6") == 1.6
    assert interval_with(monkeypatch, tmp_path, "") == 3.0


def busiest_30_seconds(interval: float) -> int:
    """The most replies a flood gets sent in any 30 s (both ends counted), taken by a poller far
    finer than the Twitch source's 0.25 s, so the interval alone sets the spacing."""
    replier = Replier(interval=interval, backlog=1000)
    for n in range(1000):
        replier.offer(f"reply {n}")
    sent = [tick / 100 for tick in range(120 * 100) if replier.take(now=1000 + tick / 100)]
    return max(sum(1 for t in sent if start <= t <= start + 30) for start in sent)


def test_at_the_minimum_no_30_seconds_reach_twitchs_limit(monkeypatch, tmp_path):
    assert busiest_30_seconds(interval_with(monkeypatch, tmp_path, "1.6")) == TWITCH_LIMIT - 1
    # 30 s / 20 = 1.5 s is not enough: the 21st message lands on the window's last instant.
    assert busiest_30_seconds(1.5) == TWITCH_LIMIT + 1
