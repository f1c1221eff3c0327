"""Airing reports: what the streamer owes the lifecycle about each airing, kept until written.

The frame loop makes a report at each airing's start and end; the playout thread writes it (the
frame loop never waits on the database). A report not written yet is journaled: on a Redis list
that every streamer of the studio shares, so a standby taking over writes what a dead holder owed,
or, while Redis does not answer, in a file under DATA_DIR. The next streamer to hold the lease
replays the journal before it airs anything.

Writing a report twice is harmless: an airing is marked on its clip with the time of its first
frame (`on_air_since`), and its end counts only while that mark is still there (`aired(once=True)`),
so a report replayed after it was written (a crash between the two) counts nothing.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import fcntl
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import redis
from django.conf import settings

from aijesus.studio import lifecycle
from streamer.control import key_prefix
from streamer.lease import Lease, LeaseUnknown

log = logging.getLogger(__name__)

STARTED, AIRED, ABANDONED, BROKEN, SET_ASIDE = "started", "aired", "abandoned", "broken", "set_aside"


@dataclasses.dataclass(frozen=True)
class Report:
    kind: str
    clip: int
    attempt: int = 0
    started_at: datetime | None = None  # the airing's first frame: its mark on the clip
    skipped: bool = False
    segments: int | None = None  # how many of the attempt's segments played (AIRED)
    reason: str = ""  # BROKEN, SET_ASIDE
    id: str = dataclasses.field(default_factory=lambda: uuid.uuid4().hex)
    at: float = dataclasses.field(default_factory=time.time)  # replays go in the order made

    def to_json(self) -> str:
        data = dataclasses.asdict(self)
        data["started_at"] = self.started_at.isoformat() if self.started_at else None
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_json(cls, raw: str | bytes) -> Report | None:
        try:
            data = json.loads(raw)
            started = data.get("started_at")
            data["started_at"] = datetime.fromisoformat(started) if started else None
            return cls(**data)
        except (ValueError, TypeError) as exc:  # a damaged line must not stop the replay
            log.warning("dropping an unreadable airing report %r: %s", raw, exc)
            return None

    def write(self, fence: Callable[[], bool] | None = None) -> Any:
        """Tell the lifecycle; what it answers (False: the airing was not counted)."""
        if self.kind == STARTED:
            return lifecycle.airing_started(self.clip, self.attempt, at=self.started_at)
        if self.kind == AIRED:
            assert self.started_at is not None
            return lifecycle.aired(
                clip_id=self.clip, attempt=self.attempt, started_at=self.started_at, skipped=self.skipped,
                segments=self.segments, once=True, fence=fence,
            )  # fmt: skip
        if self.kind == ABANDONED:
            return lifecycle.airing_abandoned(clip_id=self.clip, started_at=self.started_at)
        if self.kind == BROKEN:
            return lifecycle.media_broken(clip_id=self.clip, attempt=self.attempt, reason=self.reason)
        if self.kind == SET_ASIDE:
            return lifecycle.set_aside(clip_id=self.clip, attempt=self.attempt, reason=self.reason)
        raise ValueError(f"unknown airing report {self.kind!r}")


def journal_key() -> str:
    return f"{key_prefix()}:airings"


def journal_file() -> Path:
    """Per studio (its key prefix), so two studios or test runs on one DATA_DIR stay apart."""
    return Path(settings.DATA_DIR) / f"stream-airings-{re.sub(r'[^A-Za-z0-9_.-]', '-', key_prefix())}.jsonl"


class Journal:
    """The reports not written yet. `add` before writing, `remove` once written, `load` to replay."""

    def __init__(self, client: redis.Redis, path: Path | None = None) -> None:
        self.client = client
        self.path = path or journal_file()
        self.key = journal_key()
        self._raw: dict[str, str] = {}  # report id -> the exact JSON journaled (LREM matches it)

    def add(self, report: Report) -> None:
        raw = report.to_json()
        self._raw[report.id] = raw
        try:
            self.client.rpush(self.key, raw)
        except redis.RedisError as exc:
            log.warning("journaling an airing report on disk (Redis does not answer: %s)", exc)
            with self._locked() as file:
                file.seek(0, 2)
                file.write(raw + "\n")

    def remove(self, report: Report) -> None:
        raw = self._raw.pop(report.id, None) or report.to_json()
        with contextlib.suppress(redis.RedisError):  # left over, it is replayed harmlessly
            self.client.lrem(self.key, 1, raw)
        if self.path.exists():
            with self._locked() as file:
                lines = [line for line in file.read().splitlines() if line and line != raw]
                file.seek(0)
                file.truncate()
                file.writelines(line + "\n" for line in lines)

    def load(self) -> list[Report]:
        """Everything journaled (by any streamer of the studio), oldest first. Raises RedisError
        when Redis does not answer: the holder cannot know what another streamer left there."""
        raws = [raw.decode() for raw in self.client.lrange(self.key, 0, -1)]
        if self.path.exists():
            with self._locked() as file:
                raws += [line for line in file.read().splitlines() if line]
        reports: dict[str, Report] = {}
        for raw in raws:
            report = Report.from_json(raw)
            if report is not None and report.id not in reports:
                reports[report.id] = report
                self._raw[report.id] = raw
        return sorted(reports.values(), key=lambda report: report.at)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[IO[str]]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a+", encoding="utf-8") as file:
            fcntl.flock(file, fcntl.LOCK_EX)
            file.seek(0)
            yield file
            file.flush()


class Ledger:
    """The reports this streamer owes, in order (an airing's start before its end): journaled until
    written, and written only while the broadcast lease is ours (`lease` None: unfenced, for a
    playout a test drives alone)."""

    def __init__(self, lease: Lease | None, journal: Journal | None) -> None:
        self.lease, self.journal = lease, journal
        self._lock = threading.Lock()
        self._owed: collections.deque[Report] = collections.deque()
        self._unjournaled: list[Report] = []
        self._warned = False

    def __len__(self) -> int:
        return len(self._owed)

    def lost(self) -> bool:
        return self.lease is not None and self.lease.lost.is_set()

    def add(self, report: Report) -> None:
        """From any thread; costs no I/O (the playout thread journals it, `journal_new`)."""
        if self.lost():
            return  # another streamer is the broadcaster: it airs again what was on air here
        with self._lock:
            self._owed.append(report)
            self._unjournaled.append(report)

    def clips(self) -> set[int]:
        with self._lock:
            return {report.clip for report in self._owed}

    def journal_new(self) -> None:
        with self._lock:
            new, self._unjournaled = self._unjournaled, []
        if self.journal is not None:
            for report in new:
                self.journal.add(report)

    def replay(self) -> bool:
        """Puts first what the journal holds (a streamer before this one did not write it); False
        while the journal cannot be read."""
        if self.journal is None:
            return True
        try:
            owed = self.journal.load()
        except redis.RedisError as exc:
            log.warning("cannot read the journal of airing reports yet: %s", exc)
            return False
        with self._lock:
            known = {report.id for report in self._owed}
            owed = [report for report in owed if report.id not in known]
            self._owed.extendleft(reversed(owed))
        if owed:
            log.info("replaying %d airing reports a streamer before this one did not write", len(owed))
        return True

    def write(self) -> bool:
        """Writes what is owed, in order; True when nothing is left. Raises DatabaseError (the
        report stays first in line)."""
        if not self._owed:
            return True
        if self.lease is not None and not self._lease_is_ours():
            return False
        while self._owed:
            report = self._owed[0]
            try:
                outcome = report.write(fence=self.lease.check if self.lease is not None else None)
            except LeaseUnknown:
                return False
            if self.lost():
                self._drop()
                return False
            if self.journal is not None:
                self.journal.remove(report)
            with self._lock:
                self._owed.popleft()
            if (report.kind, outcome) in ((AIRED, False), (BROKEN, None)):  # its attempt went away
                log.info(
                    "clip %s: an airing was cut short by its build: not counted, airs whole later",
                    report.clip,
                )
        return True

    def _lease_is_ours(self) -> bool:
        assert self.lease is not None
        try:
            ours = self.lease.check()
        except LeaseUnknown as exc:
            if not self._warned:
                log.warning("airing reports wait, journaled, until Redis answers: %s", exc)
            self._warned = True
            return False
        self._warned = False
        if not ours:
            self._drop()
        return ours

    def _drop(self) -> None:
        """Another streamer holds the lease: it airs again whatever was on air here, so nothing of
        this streamer's is counted. The journal keeps them; replayed later, they change nothing."""
        with self._lock:
            dropped, self._owed = len(self._owed), collections.deque()
        if dropped:
            log.warning("%d airing reports not written: another streamer holds the broadcast lease", dropped)
