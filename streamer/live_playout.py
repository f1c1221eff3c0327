"""The playout as the frame loop sees it: everything in memory, kept fresh by a thread of its own.

The frame loop must never wait on the database: a locked SQLite file, a PostgreSQL restart or a
slow query would freeze the picture. So one thread (`PlayoutThread`) does all of the streamer's
database work: it picks what airs next (streamer.playout.Playout's rules), prepares how that clip
is drawn, follows the segments of the clip on air, and writes what the lifecycle must hear
(airing started, aired, abandoned), retrying while the database is away. It wakes when the
lifecycle publishes a notice (a segment recorded, a clip finished, released, cancelled…) on
Redis, and at least every `refresh` seconds without one.

The frame loop calls the non-blocking methods: `next_clip`, `segment_path`, `still_building`,
`total_seconds`, `upcoming`, `request_reair`, `report`.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import redis
from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection

from builder.media import MediaFormat
from streamer.playout import Playout, SegmentNotHere
from streamer.sources import Drawing, SegmentFile

log = logging.getLogger(__name__)


@dataclass
class _Watched:
    """The clip on air: its attempt's segments as far as they are known, and whether more come."""

    pk: int
    attempt: int
    segments: list[SegmentFile] = field(default_factory=list)
    durations: list[float] = field(default_factory=list)
    building: bool = True


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
    ) -> None:
        self.store, self.fmt, self._drawing, self.refresh = store, fmt, drawing, refresh
        self._redis_url = redis_url or settings.REDIS_URL
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._next: Plan | None = None
        self._watched: _Watched | None = None
        self._upcoming: list[dict[str, Any]] = []
        self._reports: collections.deque[tuple[int, Callable[[], Any]]] = collections.deque()
        self._drawings: dict[tuple[int, int], Drawing] = {}
        self._store_warned: set[int] = set()  # clips whose segment the media store held up (logged once)
        self.db_ok = True
        self._threads: list[threading.Thread] = []

    # -- lifetime
    def start(self) -> PlayoutThread:
        for target, name in ((self._run, "playout"), (self._listen, "playout-notices")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self, timeout: float = 10) -> None:
        """Stops the threads once the reports still owed are written (or `timeout` passes)."""
        deadline = time.monotonic() + timeout
        while self._reports and time.monotonic() < deadline and self.db_ok:
            self._wake.set()
            time.sleep(0.05)
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(max(0.1, deadline - time.monotonic()))

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
        with self._lock:
            watched = self._watched
            if watched is None or (watched.pk, watched.attempt) != (clip_id, attempt):
                return None
            return watched.segments[index] if index < len(watched.segments) else None

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

    def report(self, clip_id: int, call: Callable[[], Any], *, last: bool = False) -> None:
        """A lifecycle call about `clip_id` to make, in order, on the playout thread (never in the
        frame loop). `last`: the airing is over; until this call is written the clip is not
        offered again (it would otherwise still look never aired)."""
        with self._lock:
            self._reports.append((clip_id, call))
            if last and self._watched is not None and self._watched.pk == clip_id:
                self._watched = None
        self._wake.set()

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
            connection.close()

    def _round(self) -> None:
        # What the frame loop will ask for first (the segments on air, the next clip), then the
        # writes: a clip whose airing is still being recorded is never offered meanwhile (_busy).
        with self._lock:
            watched = self._watched
        if watched is not None:
            self._follow(watched)
        self._pick()
        while self._reports:  # in order: an airing's start before its end
            outcome = self._reports[0][1]()
            with self._lock:
                self._reports.popleft()
            if outcome is False:
                log.info("an airing was cut short by its build: not counted, the answer airs whole later")
        upcoming = self.store.upcoming()
        with self._lock:
            self._upcoming = upcoming

    def _follow(self, watched: _Watched, *, force: bool = False) -> None:
        known = len(watched.segments)
        found: list[SegmentFile] = []
        durations: list[float] = []
        waiting = False  # a segment the media store could not give yet: more is coming
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
        building = waiting or self.store.still_building(watched.pk, watched.attempt)
        with self._lock:
            if force or self._watched is watched:
                watched.segments.extend(found)
                watched.durations.extend(durations)
                watched.building = building

    def _busy(self) -> set[int]:
        """Clips not to offer now: the one on air, and those whose airing is still being recorded."""
        busy = {clip_id for clip_id, _ in self._reports}
        if self._watched is not None:
            busy.add(self._watched.pk)
        return busy

    def _pick(self) -> None:
        with self._lock:
            if self._next is not None:
                return
            busy = self._busy()
        clip = self.store.next_clip(exclude=busy)
        if clip is None:
            return
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
        self._follow(plan.watched, force=True)
        if not plan.watched.segments:
            return  # its first segment could not be fetched yet: offered once it can
        with self._lock:
            if self._next is None and plan.pk not in self._busy():
                self._next = plan

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
