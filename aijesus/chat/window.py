"""The ingest's memory of the recent past, so a flood is decided without a query per message.

What it holds: the questions still waiting or being answered (for duplicates, one pending question
per viewer and the queue cap), when each viewer last asked (cooldown), support not yet spent,
and recent Twitch message ids (redeliveries). The database stays the truth: the ingest loads this
at start and re-syncs the waiting questions with the database before every batch, so moderators'
approvals, rejections and bumps are seen, and a restart loses nothing.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

from aijesus.chat.priority import Credit
from aijesus.chat.screen.duplicates import DuplicateIndex, Signature

PENDING, ACTIVE = "pending", "active"  # active: approved and being built or about to air
SEEN_IDS = 20_000


@dataclass(slots=True, eq=False)
class Entry:
    key: int  # the question's id; negative while its row is not written yet
    viewer: str  # viewer key; "" when the question has no viewer to hold to the rules (manual)
    priority: float
    reason: str  # its priority_reason
    status: str
    evictable: bool  # from chat: the queue cap may drop it (never a moderator's own question)
    signature: Signature
    received_at: float
    merges: int = 0
    boost: float = 0.0  # priority gained in this batch (merges, support), added to the row's own
    eviction: str = ""  # why the queue cap dropped it, when it did


@dataclass
class Window:
    cooldown: float = 60.0
    support_window: float = 600.0
    entries: dict[int, Entry] = field(default_factory=dict)
    pending_by_viewer: dict[str, Entry] = field(default_factory=dict)
    last_question: dict[str, float] = field(default_factory=dict)
    credits: dict[str, list[Credit]] = field(default_factory=dict)
    seen: OrderedDict[str, None] = field(default_factory=OrderedDict)
    duplicates: DuplicateIndex = field(default_factory=DuplicateIndex)
    _next_temp: int = -1

    def temp_key(self) -> int:
        self._next_temp -= 1
        return self._next_temp

    def add(self, entry: Entry) -> None:
        self.entries[entry.key] = entry
        self.duplicates.add(entry.key, entry.signature)
        if entry.viewer and entry.status == PENDING:
            self.pending_by_viewer[entry.viewer] = entry

    def remove(self, key: int) -> None:
        entry = self.entries.pop(key, None)
        if entry is None:
            return
        self.duplicates.remove(key)
        if entry.viewer and self.pending_by_viewer.get(entry.viewer) is entry:
            del self.pending_by_viewer[entry.viewer]

    def rekey(self, old: int, new: int) -> None:
        entry = self.entries.pop(old)
        entry.key = new
        self.entries[new] = entry
        self.duplicates.rekey(old, new)

    def set_status(self, entry: Entry, status: str) -> None:
        entry.status = status
        if status != PENDING and entry.viewer and self.pending_by_viewer.get(entry.viewer) is entry:
            del self.pending_by_viewer[entry.viewer]

    def evictable_pending(self) -> list[Entry]:
        return [e for e in self.entries.values() if e.evictable and e.status == PENDING]

    def saw(self, message_id: str) -> bool:
        """True if this message id came before (Twitch may deliver a notification twice)."""
        if not message_id:
            return False
        if message_id in self.seen:
            return True
        self.seen[message_id] = None
        if len(self.seen) > SEEN_IDS:
            self.seen.popitem(last=False)
        return False

    def in_cooldown(self, viewer: str, now: float) -> float:
        """Seconds left before this viewer may ask again (0 when free)."""
        last = self.last_question.get(viewer)
        return 0.0 if last is None else max(0.0, last + self.cooldown - now)

    def take_credits(self, viewer: str, now: float) -> list[Credit]:
        fresh = [c for c in self.credits.pop(viewer, []) if now - c.at <= self.support_window]
        return fresh

    def forget_old(self, now: float) -> None:
        """Drop cooldowns and credits that can no longer matter (keeps memory flat over days)."""
        horizon = now - self.cooldown
        self.last_question = {v: t for v, t in self.last_question.items() if t > horizon}
        self.credits = {
            v: kept
            for v, cs in self.credits.items()
            if (kept := [c for c in cs if now - c.at <= self.support_window])
        }
