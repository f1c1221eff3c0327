"""Who goes first: a question's priority, as a sum whose every term is written in its reason.

Terms: a base, bits cheered with the message (capped), subscriber / VIP / moderator badges, a
channel-points redemption, support given shortly before asking (subs, gifted subs, redemptions),
duplicates merged into it later, and the time it has waited — added by the ingest's aging pass
every few seconds, so an old low-priority question always ends up ahead of new high ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from aijesus.chat.message import ChatMessage, Support

REASON_LIMIT = 200  # Question.priority_reason


@dataclass(frozen=True)
class Weights:
    base: float = 1.0
    bits_per_100: float = 1.0
    bits_max: float = 10.0
    subscriber: float = 2.0
    gift_per_sub: float = 1.0
    vip: float = 1.5
    moderator: float = 1.0
    redemption: float = 3.0
    waiting_per_minute: float = 0.2
    duplicate: float = 1.0

    def rows(self) -> list[tuple[str, float]]:
        """For the settings page."""
        return [
            ("base", self.base),
            ("per 100 bits", self.bits_per_100),
            ("bits, at most", self.bits_max),
            ("subscriber (per tier for a new sub)", self.subscriber),
            ("per gifted sub", self.gift_per_sub),
            ("VIP", self.vip),
            ("moderator / broadcaster", self.moderator),
            ("channel-points redemption", self.redemption),
            ("per minute waiting", self.waiting_per_minute),
            ("per duplicate merged in", self.duplicate),
        ]


@dataclass(slots=True)
class Credit:
    """Support given before the viewer asked, spent on their next question."""

    label: str
    value: float
    at: float
    support: Support
    row: int | None = None  # its SupportEvent, once written


def support_value(support: Support, weights: Weights) -> tuple[str, float]:
    if support.kind in ("sub", "resub"):
        tier = max(1, min(3, int(support.amount)))
        return (f"{support.kind} tier {tier}", weights.subscriber * tier)
    if support.kind == "gift":
        count = max(1, int(support.amount))
        return (f"gifted {count} sub{'s' if count > 1 else ''}", weights.gift_per_sub * count)
    if support.kind == "cheer":
        return (f"cheered {int(support.amount)} bits", bits_value(int(support.amount), weights))
    title = f" '{support.detail[:30]}'" if support.detail else ""
    return (f"redeemed{title}", weights.redemption)


def bits_value(bits: int, weights: Weights) -> float:
    return min(weights.bits_max, weights.bits_per_100 * max(0, bits) / 100)


def score(message: ChatMessage, credits: list[Credit], weights: Weights) -> tuple[float, str]:
    terms: list[tuple[str, float]] = [("base", weights.base)]
    if message.bits > 0:
        terms.append((f"{message.bits} bits", bits_value(message.bits, weights)))
    if message.badges & {"subscriber", "founder"}:
        terms.append(("subscriber", weights.subscriber))
    if "vip" in message.badges:
        terms.append(("vip", weights.vip))
    if message.badges & {"moderator", "broadcaster"}:
        terms.append(("moderator", weights.moderator))
    if message.reward:
        terms.append((f"redeemed '{message.reward[:30]}'", weights.redemption))
    terms.extend((f"{credit.label} earlier", credit.value) for credit in credits)
    total = sum(value for _, value in terms)
    reason = " + ".join(f"{label} {value:g}" for label, value in terms if value)
    if weights.waiting_per_minute:
        reason += f" (+{weights.waiting_per_minute:g}/min waiting)"
    return round(total, 3), reason[:REASON_LIMIT]


_MERGED = re.compile(r"; \d+ duplicates? merged \+[\d.]+")


def with_merges(reason: str, merges: int, weights: Weights) -> str:
    """The reason with its merged-duplicates term brought up to date."""
    term = f"; {merges} duplicate{'s' if merges > 1 else ''} merged +{merges * weights.duplicate:g}"
    return _fit(_MERGED.sub("", reason), term)


def with_support(reason: str, label: str, value: float) -> str:
    return _fit(reason, f"; {label} +{value:g}")


def _fit(reason: str, term: str) -> str:
    """`reason` + `term` within the column's size: the middle of a long reason gives way."""
    if len(reason) + len(term) <= REASON_LIMIT:
        return reason + term
    return reason[: max(0, REASON_LIMIT - len(term) - 1)] + "…" + term
