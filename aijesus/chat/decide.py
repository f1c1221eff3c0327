"""What happens to each message of a batch, decided in memory against the window.

In order, for each message: is it a question at all (command prefix; not our own bot; not a
redelivery)? Then the prescreen verdict; then duplicates (merged into the earlier question, which
gains priority), one pending question per viewer, the per-viewer cooldown. Support events raise
the viewer's waiting question or are kept as credit for their next one. Last, the queue cap drops
the lowest-priority waiting chat questions. Nothing here touches the database: ``ingest`` writes
the plan in one transaction.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

from aijesus.chat.message import ChatEvent, ChatMessage, Support
from aijesus.chat.priority import Credit, Weights, score, support_value, with_merges, with_support
from aijesus.chat.screen.prescreen import DROPPED, FLAGGED, MERGED, PASSED, Screened, strip_prefix
from aijesus.chat.window import ACTIVE, PENDING, Entry, Window


@dataclass(frozen=True)
class Policy:
    require_prefix: bool = False
    prefix: str = "!ask"
    pending_cap: int = 500
    weights: Weights = field(default_factory=Weights)
    ignore_viewers: frozenset[str] = frozenset()  # our own bot: its replies are not questions


@dataclass(slots=True, eq=False)
class Decided:
    message: ChatMessage
    text: str
    verdict: str  # passed | flagged | dropped | merged
    reason: str  # prescreen_reason
    status: str  # pending | dropped
    drop_reason: str = ""  # may hold "{target}": the id of the question it refers to
    target: Entry | None = None
    entry: Entry | None = None  # accepted: its final priority and reason are read at write time
    credits: list[Credit] = field(default_factory=list)


@dataclass(slots=True)
class SupportDone:
    support: Support
    label: str
    value: float
    entry: Entry | None  # the waiting question it raised, or None:
    credit: Credit | None  # kept as credit for the viewer's next question


@dataclass
class Plan:
    questions: list[Decided] = field(default_factory=list)
    supports: list[SupportDone] = field(default_factory=list)
    evicted: list[Entry] = field(default_factory=list)  # rows already written, now dropped by the cap
    boosted: list[Entry] = field(default_factory=list)  # rows already written whose priority rose
    ignored: int = 0


def question_text(message: ChatMessage, window: Window, policy: Policy) -> str | None:
    """The text to screen, or None when the message is not a question for the studio."""
    if message.viewer_id and message.viewer_id in policy.ignore_viewers:
        return None
    if window.saw(message.message_id):
        return None
    if message.reward:  # text typed into a channel-points redemption is a question by itself
        return message.text.strip()
    return strip_prefix(message.text, policy.prefix if policy.require_prefix else "")


def decide(
    items: list[tuple[ChatEvent, Screened | None]], window: Window, policy: Policy, now: float
) -> Plan:
    """`items`: each support event with None, each message with its screen result (None: not a question)."""
    plan = Plan()
    boosted: dict[int, Entry] = {}
    for event, screened in items:
        if isinstance(event, Support):
            plan.supports.append(_support(event, window, policy.weights, now, boosted))
        elif screened is None:
            plan.ignored += 1
        else:
            plan.questions.append(_message(event, screened, window, policy, now, boosted))
    _apply_cap(plan, window, policy.pending_cap)
    plan.boosted = [e for e in boosted.values() if e.key > 0 and e.key in window.entries]
    return plan


def _message(
    message: ChatMessage,
    screened: Screened,
    window: Window,
    policy: Policy,
    now: float,
    boosted: dict[int, Entry],
) -> Decided:
    decided = Decided(message, screened.text, screened.verdict, screened.reason, PENDING)
    if screened.verdict == DROPPED:
        return _drop(decided, DROPPED, screened.reason)
    viewer = message.viewer_key
    found = window.duplicates.find(screened.signature) if screened.signature.skeleton else None
    if found is not None:
        target = window.entries[found[0]]
        why = found[1]
        if target.status == ACTIVE:
            return _drop(decided, DROPPED, f"{why} of #{{target}}, which is already being answered", target)
        if target.viewer != viewer:
            target.merges += 1
            target.priority += policy.weights.duplicate
            target.boost += policy.weights.duplicate
            target.reason = with_merges(target.reason, target.merges, policy.weights)
            boosted[id(target)] = target
            return _drop(decided, MERGED, f"{why}: merged into #{{target}}, which gains priority", target)
    mine = window.pending_by_viewer.get(viewer)
    if mine is not None:
        return _drop(decided, DROPPED, "one question at a time: #{target} is still waiting", mine)
    wait = window.in_cooldown(viewer, now)
    if wait > 0:
        return _drop(
            decided, DROPPED, f"cooldown: {wait:.0f} s left of {window.cooldown:g} s between questions"
        )
    decided.credits = window.take_credits(viewer, now)
    priority, reason = score(message, decided.credits, policy.weights)
    entry = Entry(
        key=window.temp_key(),
        viewer=viewer,
        priority=priority,
        reason=reason,
        status=PENDING,
        evictable=True,
        signature=screened.signature,
        received_at=message.received_at,
    )
    window.add(entry)
    window.last_question[viewer] = now
    decided.entry = entry
    return decided


def _drop(decided: Decided, verdict: str, reason: str, target: Entry | None = None) -> Decided:
    decided.status = DROPPED
    decided.verdict = verdict
    decided.drop_reason = reason
    decided.target = target
    decided.reason = reason
    return decided


def _support(
    support: Support, window: Window, weights: Weights, now: float, boosted: dict[int, Entry]
) -> SupportDone:
    label, value = support_value(support, weights)
    entry = window.pending_by_viewer.get(support.viewer_key)
    credit = None
    if entry is not None:
        entry.priority += value
        entry.boost += value
        entry.reason = with_support(entry.reason, label, value)
        boosted[id(entry)] = entry
    else:
        credit = Credit(label, value, now, support)
        window.credits.setdefault(support.viewer_key, []).append(credit)
    return SupportDone(support, label, value, entry, credit)


def _apply_cap(plan: Plan, window: Window, cap: int) -> None:
    waiting = window.evictable_pending()
    excess = len(waiting) - cap
    if excess <= 0:
        return
    # Lowest priority first; among equals the newest goes, so the earlier asker keeps their place.
    losers = heapq.nsmallest(excess, waiting, key=lambda e: (e.priority, -e.received_at))
    new_ones = {id(d.entry): d for d in plan.questions if d.entry is not None}
    for entry in losers:
        reason = f"queue full (at most {cap} waiting): lowest priority ({entry.priority:g}) dropped"
        window.remove(entry.key)
        decided = new_ones.get(id(entry))
        if decided is not None:  # keeps its entry: the row records the priority it had
            _drop(decided, DROPPED, reason)
        else:
            entry.eviction = reason
            plan.evicted.append(entry)


__all__ = ["FLAGGED", "MERGED", "PASSED", "Decided", "Plan", "Policy", "decide", "question_text"]
