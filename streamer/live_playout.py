"""The playout as the frame loop sees it: everything in memory, kept fresh by a thread of its own.

The frame loop must never wait on the database: a locked SQLite file, a PostgreSQL restart or a
slow query would freeze the picture. So one thread (`PlayoutThread`) does all of the streamer's
database work: it writes what the lifecycle must hear (streamer/reports.py: airing started, aired,
abandoned, media broken, set aside), follows the segments of the clip on air, and picks what airs
next (streamer.playout.Playout's rules), preparing how that clip is drawn. It wakes when the
lifecycle publishes a notice (a segment recorded, a clip finished, released, cancelled…) on
Redis, and at least every `refresh` seconds without one.

Each round writes the reports first, so nothing that goes wrong while picking (a clip whose
preparation raises on every pick) holds up the counting of what aired. A clip whose preparation
raises STREAM_PICK_FAILURES times is set aside (failed, with the reason). Reports are journaled
(streamer/reports.py) until written, and only written while this streamer holds the broadcast
lease (streamer/lease.py). Before its first pick the thread replays the journal and clears a
stale "on air" left by a streamer that died.

The frame loop calls the non-blocking methods: `next_clip`, `segment_path`, `still_building`,
`total_seconds`, `upcoming`, `request_reair`, `report`, `pick_failed`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import redis
from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection

from aijesus.studio import lifecycle
from builder.media import MediaFormat
from streamer.lease import Lease
from streamer.playout import Playout, SegmentLost, SegmentNotHere
from streamer.reports import BROKEN, SET_ASIDE, Journal, Ledger, Report
from streamer.sources import Drawing, MediaBroken, SegmentFailed, SegmentFile

log = logging.getLogger(__name__)

_CANDIDATES_PER_ROUND = 5  # clips whose preparation raised are passed over for the next one


@dataclass
class _Watched:
    """The clip on air: its attempt's segments as far as they are known, and whether more come."""

    pk: int
    attempt: int
    segments: list[SegmentFile] = field(default_factory=list)
    durations: list[float] = field(default_factory=list)
    building: bool = True
    broken: str = ""  # why its next segment cannot be had (gone from the media store)
    failed: str = ""  # what the media store raised otherwise while looking for it


@dataclass
class Plan:
    """A clip ready to go on air: what the frame loop needs, read while the database answered."""

    pk: int
    attempt: int
    duration: float | None
    question: str
    viewer: str
    aired_count: int
    drawing: Drawing
    # Its segments as far as they were known when it was picked: it starts without a wait.
    watched: _Watched | None = None


class PlayoutThread:
    def __init__(
        self,
        store: Playout,
        fmt: MediaFormat,
        drawing: Callable[[Any], Drawing],
        *,
        refresh: float = 1.0,
        redis_url: str | None = None,
        lease: Lease | None = None,
        journal: Journal | None = None,
    ) -> None:
        self.store, self.fmt, self._drawing, self.refresh = store, fmt, drawing, refresh
        self._redis_url = redis_url or settings.REDIS_URL
        self.ledger = Ledger(lease, journal)  # lease None: unfenced (a test driving the playout alone)
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._next: Plan | None = None
        self._watched: _Watched | None = None
        self._upcoming: list[dict[str, Any]] = []
        self._drawings: dict[tuple[int, int], Drawing] = {}
        self._store_warned: set[int] = set()  # clips whose segment the media store held up (logged once)
        self._pick_failures: dict[tuple[int, int], int] = {}
        self._recovered = False  # the journal replayed and a stale "on air" cleared
        self.db_ok = True
        self.started = False
        self._threads: list[threading.Thread] = []

    # -- lifetime
    def start(self) -> PlayoutThread:
        self.started = True
        for target, name in ((self._run, "playout"), (self._listen, "playout-notices")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self, timeout: float = 10) -> None:
        """Stops the threads once the reports still owed are written (or `timeout` passes); what
        could not be written stays journaled for the next streamer to hold the lease."""
        deadline = time.monotonic() + timeout
        while self.ledger and time.monotonic() < deadline and self.db_ok and not self.ledger.lost():
            self._wake.set()
            time.sleep(0.05)
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(max(0.1, deadline - time.monotonic()))
        self.ledger.journal_new()
        if self.ledger:
            log.warning(
                "%d airing reports are not written yet: journaled for the next start", len(self.ledger)
            )

    # -- the frame loop's side: memory only
    def next_clip(self) -> Plan | None:
        with self._lock:
            plan, self._next = self._next, None
            if plan is not None:
                self._watched = plan.watched or _Watched(plan.pk, plan.attempt)
        if plan is not None:
            self._wake.set()  # fetch its segments now
        return plan

    def segment_path(self, clip_id: int, attempt: int, index: int) -> SegmentFile | None:
        """Segment `index` of the clip on air, None if not known (yet); raises MediaBroken once
        the store has said it is gone."""
        with self._lock:
            watched = self._watched
            if watched is None or (watched.pk, watched.attempt) != (clip_id, attempt):
                return None
            if index < len(watched.segments):
                return watched.segments[index]
            if watched.broken:
                raise MediaBroken(watched.broken)
            if watched.failed:
                raise SegmentFailed(watched.failed)  # not the media's fault: a failed pick
            return None

    def still_building(self, clip_id: int, attempt: int) -> bool:
        with self._lock:
            watched = self._watched
            return (
                watched is not None
                and (watched.pk, watched.attempt) == (clip_id, attempt)
                and watched.building
            )

    def total_seconds(self, clip_id: int, attempt: int) -> float:
        with self._lock:
            watched = self._watched
            return sum(watched.durations) if watched and watched.pk == clip_id else 0.0

    def upcoming(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._upcoming)

    def request_reair(self, clip_id: int) -> None:
        self.store.request_reair(clip_id)
        self._wake.set()

    def report(self, report: Report, *, last: bool = False) -> None:
        """A report to write, in order, on the playout thread (never in the frame loop). `last`:
        the airing is over; until its report is written the clip is not offered again (it would
        otherwise still look never aired)."""
        self.ledger.add(report)  # first: the clip is never neither on air nor owed (_busy)
        with self._lock:
            if last and self._watched is not None and self._watched.pk == report.clip:
                self._watched = None
        self._wake.set()

    def pick_failed(self, clip_id: int, attempt: int, reason: str) -> None:
        """Preparing or playing the clip raised (not its media: a drawing error, a bug). After
        STREAM_PICK_FAILURES of these it is set aside, so it cannot block the answers behind it."""
        key, limit = (clip_id, attempt), settings.STREAM_PICK_FAILURES
        with self._lock:
            failures = self._pick_failures[key] = self._pick_failures.get(key, 0) + 1
            if failures >= limit:
                del self._pick_failures[key]
        log.warning("clip %s could not be aired (%d/%d): %s", clip_id, failures, limit, reason)
        if failures >= limit:
            why = f"set aside by the streamer after {failures} failed attempts to air it: {reason}"
            self.report(Report(SET_ASIDE, clip_id, attempt, reason=why[:2000]))

    def round_now(self) -> None:
        """One round on the calling thread, for a playout whose thread is not started (tests that
        drive the runner step by step inside their own transaction)."""
        self._round()

    # -- the thread's side: the database
    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                self._wake.wait(self.refresh)
                self._wake.clear()
                if self._stop.is_set():
                    return
                close_old_connections()
                try:
                    self._round()
                    self.db_ok = True
                except DatabaseError as exc:
                    if self.db_ok:
                        log.warning("playout: the database is unreachable (the stream goes on): %s", exc)
                    self.db_ok = False
                    connection.close()
                except Exception:  # this thread must outlive any one bad round
                    log.exception("playout: a round failed (the stream goes on; next round soon)")
        finally:
            self.ledger.journal_new()
            connection.close()

    def _round(self) -> None:
        # The writes first: nothing that goes wrong while picking holds up what aired being counted.
        self.ledger.journal_new()
        if not self._recovered and not self._recover():
            return  # no pick before the journal is replayed and a stale "on air" cleared
        # Reports that must wait (Redis away, the lease unproven) do not stop the answers: their
        # clips are not offered meanwhile (_busy), the others air.
        self.ledger.write()
        # Then what the frame loop will ask for: the segments on air, the next clip. A clip whose
        # airing is still being recorded is never offered meanwhile (_busy).
        with self._lock:
            watched = self._watched
        if watched is not None:
            try:
                self._follow(watched)
            except DatabaseError:
                raise
            except Exception as exc:  # the media store raised something unforeseen: this clip's
                log.exception("playout: looking for the next segment of clip %s raised", watched.pk)
                with self._lock:
                    watched.failed, watched.building = f"{type(exc).__name__}: {exc}", False
        self._pick()
        upcoming = self.store.upcoming()
        with self._lock:
            self._upcoming = upcoming

    def _recover(self) -> bool:
        """What a dead streamer owed goes first, then "on air" marks nobody airs any more go."""
        if not self.ledger.replay() or not self.ledger.write():
            return False
        cleared = lifecycle.clear_on_air()
        if cleared:
            log.info("cleared a stale 'on air' from clips %s (cut by a streamer that stopped)", cleared)
        self._recovered = True
        return True

    def _follow(self, watched: _Watched, *, force: bool = False) -> None:
        known = len(watched.segments)
        found: list[SegmentFile] = []
        durations: list[float] = []
        waiting = False  # a segment the media store could not give yet: more is coming
        broken = ""
        try:
            while (
                segment := self.store.segment_path(watched.pk, watched.attempt, known + len(found))
            ) is not None:
                found.append(segment)
                durations.append(segment.duration)
        except SegmentNotHere as exc:
            waiting = True
            if watched.pk not in self._store_warned:
                self._store_warned.add(watched.pk)
                log.warning("playout: %s; idle frames until it comes", exc)
        except SegmentLost as exc:
            broken = str(exc)
        building = not broken and (waiting or self.store.still_building(watched.pk, watched.attempt))
        with self._lock:
            if force or self._watched is watched:
                watched.segments.extend(found)
                watched.durations.extend(durations)
                watched.building = building
                watched.broken = broken

    def _busy(self) -> set[int]:
        """Clips not to offer now: the one on air, and those whose airing is still being recorded."""
        busy = self.ledger.clips()
        if self._watched is not None:
            busy.add(self._watched.pk)
        return busy

    def _pick(self) -> None:
        with self._lock:
            if self._next is not None:
                return
            passed = self._busy()
        for _ in range(_CANDIDATES_PER_ROUND):
            clip = self.store.next_clip(exclude=passed)
            if clip is None:
                return
            try:
                plan = self._plan(clip)
            except DatabaseError:
                raise  # the database, not the clip: the next round tries again
            except Exception as exc:  # a drawing or media store error: this clip's, not the stream's
                log.debug("preparing clip %s raised", clip.pk, exc_info=True)
                self.pick_failed(clip.pk, clip.attempt, f"{type(exc).__name__}: {exc}")
                passed.add(clip.pk)
                continue
            if plan is None:
                return  # its first segment could not be fetched yet: offered once it can
            if plan.watched is not None and plan.watched.broken:
                # Its media is gone from the store: back to be built again, never aired half.
                self.report(Report(BROKEN, clip.pk, clip.attempt, reason=plan.watched.broken))
                passed.add(clip.pk)
                continue
            with self._lock:
                if self._next is None and plan.pk not in self._busy():
                    self._next = plan
            return

    def _plan(self, clip: Any) -> Plan | None:
        key = (clip.pk, clip.attempt)
        if key not in self._drawings:
            self._drawings = {key: self._drawing(clip)}  # one clip at a time: the next one
        question = clip.question
        plan = Plan(
            pk=clip.pk,
            attempt=clip.attempt,
            duration=clip.duration,
            question=question.text if question else "",
            viewer=question.viewer_name if question else "",
            aired_count=clip.aired_count,
            drawing=self._drawings[key],
            watched=_Watched(clip.pk, clip.attempt),
        )
        assert plan.watched is not None
        self._follow(plan.watched, force=True)
        if not plan.watched.segments and not plan.watched.broken:
            return None
        return plan

    def _listen(self) -> None:
        """Wakes the playout thread on each lifecycle notice; reconnects when Redis comes back."""
        from aijesus.studio.playout_notice import playout_channel

        while not self._stop.is_set():
            try:
                client = redis.Redis.from_url(self._redis_url, socket_timeout=5, socket_connect_timeout=2)
                pubsub = client.pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(playout_channel())
                while not self._stop.is_set():
                    if pubsub.get_message(timeout=1.0) is not None:
                        self._wake.set()
            except (redis.RedisError, OSError):
                self._stop.wait(self.refresh)  # the round every `refresh` s goes on meanwhile
