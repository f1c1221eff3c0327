"""What a chat source hands to the ingest: a message, or an act of support that feeds priority.

Plain data, the same for Twitch, a replay file and tests.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Literal

SupportKind = Literal["sub", "resub", "gift", "redemption", "cheer"]


@dataclass(frozen=True, slots=True)
class Held:
    """Why Twitch's AutoMod held a message for moderators (``automod.message.hold``)."""

    reason: str  # "automod" (its classifier) or "blocked_term" (the channel's own list)
    category: str = ""  # AutoMod's category, e.g. "aggressive"; empty for a blocked term
    level: int = 0  # 1-4, AutoMod's severity; 0 for a blocked term

    def describe(self) -> str:
        if self.reason == "blocked_term":
            return "held by Twitch AutoMod: a blocked term of the channel"
        return f"held by Twitch AutoMod: {self.category or 'unknown category'}, level {self.level}"


@dataclass(frozen=True, slots=True)
class ChatMessage:
    viewer_id: str
    viewer_name: str
    text: str
    badges: frozenset[str] = frozenset()  # Twitch badge set ids: subscriber, vip, moderator, broadcaster…
    bits: int = 0
    message_id: str = ""
    reward: str = ""  # title of the channel-points reward this text was redeemed with, if any
    channel: str = ""
    received_at: float = field(default_factory=time.time)
    held: Held | None = None  # held by Twitch AutoMod: not in chat until a moderator allows it

    @property
    def viewer_key(self) -> str:
        return viewer_key(self.viewer_id, self.viewer_name)


@dataclass(frozen=True, slots=True)
class Support:
    """A sub, resub, gifted subs, a channel-points redemption or a cheer without a question."""

    viewer_id: str
    viewer_name: str
    kind: SupportKind
    amount: float = 1.0  # sub tier (1-3), number of gifted subs, bits; 1 for a redemption
    detail: str = ""  # e.g. the reward's title
    channel: str = ""
    received_at: float = field(default_factory=time.time)

    @property
    def viewer_key(self) -> str:
        return viewer_key(self.viewer_id, self.viewer_name)


def viewer_key(viewer_id: str, viewer_name: str) -> str:
    return viewer_id or f"name:{viewer_name.casefold()}"


@dataclass(frozen=True, slots=True)
class HoldResolved:
    """A held message resolved on Twitch (``automod.message.update``), by anyone, us included."""

    message_id: str
    status: str  # approved | denied | expired | invalid
    moderator: str = ""  # Twitch login of whoever resolved it
    received_at: float = field(default_factory=time.time)


ChatEvent = ChatMessage | Support | HoldResolved
