"""What a chat source hands to the ingest: a message, or an act of support that feeds priority.

Plain data, the same for Twitch, a replay file and tests.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Literal

SupportKind = Literal["sub", "resub", "gift", "redemption", "cheer"]


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


ChatEvent = ChatMessage | Support
