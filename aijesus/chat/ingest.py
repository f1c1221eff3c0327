"""Batched ingest: chat events in from any thread, questions out into the database.

A source (Twitch, a replay file, a test) calls ``submit``; one worker thread takes what has
arrived — up to ``CHAT_BATCH_SIZE`` events or ``CHAT_BATCH_SECONDS`` of them — and handles the
batch in one go: prescreen each message (pure Python), optionally ask the moderation endpoint /
guardrail once for the whole batch, then in ONE transaction lock the chat-settings row (so two
readers never interleave), bring the in-memory window in line with the database, decide every
message (``decide``), write the plan with a few bulk statements (``writer``), auto-approve if
moderators chose that, and send ONE dashboard notice on commit. Every message becomes a row —
waiting, or dropped/merged with its reason — except those that are not questions at all (no
command prefix, our own bot, a redelivered notification), which are only counted.

Between batches the same thread ages waiting questions (priority for time waited), announces
answered questions when replies are on, and logs its counters.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import Counter

from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections, connection, transaction
from django.db.models import Avg
from django.utils import timezone

from aijesus.chat import checks, holds, state, writer
from aijesus.chat.aging import age_waiting_questions
from aijesus.chat.config import ChatConfig, ConfigCache
from aijesus.chat.decide import Decided, Plan, decide, question_text
from aijesus.chat.message import ChatEvent, ChatMessage, HoldResolved, Support
from aijesus.chat.models import ChatSettings
from aijesus.chat.replies import Replier, answered_text, queued_text
from aijesus.chat.screen.automod import AutoMod, NotChecked
from aijesus.chat.screen.prescreen import PASSED, Screened, screen
from aijesus.chat.screen.remote import RemoteChecks
from aijesus.chat.window import ACTIVE, Window
from aijesus.studio.broadcast import broadcast_on_commit
from aijesus.studio.models import Clip, Question
from aijesus.studio.services import SubmissionError, question_approve

log = logging.getLogger(__name__)

AGING_SECONDS = 10.0
HOLDS_SECONDS = 1.0  # moderators' decisions on AutoMod-held questions go to Twitch this often
ANNOUNCE_SECONDS = 5.0
REPORT_SECONDS = 60.0
IDLE_WAIT = 1.0  # the worker wakes at least this often for its housekeeping
DEFAULT_ANSWER_SECONDS = 60.0  # for "~N min" before any clip has aired
Item = tuple[ChatEvent, Screened | None]


class Ingestor:
    def __init__(
        self,
        *,
        source: str,
        channel: str = "",
        replier: Replier | None = None,
        batch_size: int | None = None,
        batch_seconds: float | None = None,
        backlog: int = 200_000,
        ignore_viewers: frozenset[str] = frozenset(),
    ) -> None:
        self.source = source
        self.channel = channel
        self.replier = replier
        self.batch_size = batch_size or settings.CHAT_BATCH_SIZE
        self.batch_seconds = batch_seconds if batch_seconds is not None else settings.CHAT_BATCH_SECONDS
        self.stats: Counter[str] = Counter()
        self._queue: queue.Queue[ChatEvent | None] = queue.Queue(maxsize=backlog)
        self._config = ConfigCache(ignore_viewers)
        self._window: Window | None = None
        self._checks: RemoteChecks | None = None
        self._automod: AutoMod | None = None
        self._thread: threading.Thread | None = None
        self._holds_thread: threading.Thread | None = None
        self._resolver: AutoMod | None = None  # the holds thread's own client
        self._stopping = threading.Event()
        self._due: dict[str, float] = {}
        self._reported: Counter[str] = Counter()
        self._warned: set[str] = set()

    # -- feeding (any thread)
    def submit(self, event: ChatEvent) -> bool:
        """Hand over without waiting (from an event loop). False only if the backlog is full."""
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            self.stats["lost_backlog_full"] += 1
            log.error("chat backlog full (%d events): an event was lost", self._queue.maxsize)
            return False
        return True

    def put(self, event: ChatEvent, timeout: float | None = None) -> None:
        """Hand over, waiting while the backlog is full (a replay can afford to slow down)."""
        self._queue.put(event, timeout=timeout)

    def ignore_viewers(self, viewer_ids: frozenset[str]) -> None:
        self._config.ignore_viewers = viewer_ids

    # -- running
    def start(self) -> Ingestor:
        self._thread = threading.Thread(target=self._run, name="chat-ingest", daemon=True)
        self._thread.start()
        # Decisions on AutoMod-held questions wait on Twitch: never on the thread that stores chat.
        self._holds_thread = threading.Thread(target=self._send_holds, name="chat-holds", daemon=True)
        self._holds_thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        """Finish what was submitted, then stop."""
        self._stopping.set()
        self._queue.put(None)
        if self._thread is not None:
            self._thread.join(timeout)
        if self._holds_thread is not None:
            self._holds_thread.join(timeout)

    def wait_idle(self, timeout: float) -> bool:
        """True once everything submitted so far has been written."""
        deadline = time.monotonic() + timeout
        with self._queue.all_tasks_done:
            while self._queue.unfinished_tasks:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self._queue.all_tasks_done.wait(remaining):
                    return False
        return True

    @property
    def backlog(self) -> int:
        return self._queue.qsize()

    def _run(self) -> None:
        try:
            while True:
                batch = self._collect()
                events = [e for e in batch if e is not None]
                close_old_connections()  # a long-lived thread: drop a connection the server closed
                if events:
                    self._process_safely(events)
                for _ in batch:
                    self._queue.task_done()
                self._housekeeping()
                if self._stopping.is_set() and self._queue.empty():
                    break
        finally:
            self.report()
            connection.close()

    def _collect(self) -> list[ChatEvent | None]:
        try:
            first = self._queue.get(timeout=IDLE_WAIT)
        except queue.Empty:
            return []
        batch = [first]
        deadline = time.monotonic() + self.batch_seconds
        while len(batch) < self.batch_size and first is not None:
            remaining = deadline - time.monotonic()
            try:
                item = self._queue.get(timeout=remaining) if remaining > 0 else self._queue.get_nowait()
            except queue.Empty:
                break
            batch.append(item)
            if item is None:
                break
        return batch

    def _process_safely(self, batch: list[ChatEvent]) -> None:
        delay = 0.5
        while True:
            try:
                self.process(batch)
                return
            except (OperationalError, InterfaceError):
                # The database went away: keep the batch and wait for it (the backlog holds the rest).
                self._window = None
                log.warning("database unavailable; retrying a batch of %d in %.1f s", len(batch), delay)
                connection.close()
                if self._stopping.is_set() and delay >= 8:
                    self.stats["lost_database_down"] += len(batch)
                    log.error("stopping with the database down: %d chat events not stored", len(batch))
                    return
                time.sleep(delay)
                delay = min(delay * 2, 10.0)
            except Exception:
                self._window = None
                if len(batch) == 1:
                    self.stats["lost_error"] += 1
                    log.exception("a chat event could not be stored and was lost")
                    return
                # Find the bad one: halves are retried on their own.
                log.exception("a batch of %d failed; retrying it in halves", len(batch))
                middle = len(batch) // 2
                self._process_safely(batch[:middle])
                self._process_safely(batch[middle:])
                return

    # -- one batch (public for tests and the benchmark: runs in the caller's thread)
    def process(self, batch: list[ChatEvent]) -> Plan:
        config = self._config.current()
        window = self._ensure_window(config)
        resolved = [e for e in batch if isinstance(e, HoldResolved)]
        if not config.automod_holds:  # the option was turned off while subscribed: Twitch decides alone
            batch = [e for e in batch if not (isinstance(e, ChatMessage) and e.held is not None)]
            resolved = []
        items = self._screen([e for e in batch if not isinstance(e, HoldResolved)], config, window)
        if config.automod_holds:
            items = holds.flag_held(items)
        if config.moderation or config.guardrail:
            items = self._remote(items, config)
        if config.automod:
            if self._automod is None:
                self._automod = checks.automod_from_settings()
            items = checks.apply_automod(items, self._automod)
        with transaction.atomic():
            list(ChatSettings.objects.select_for_update().filter(pk=ChatSettings.SINGLETON).values_list("pk"))
            state.sync(window)
            plan = decide(items, window, config.policy, time.time())
            accepted = writer.write(plan, window, source=self.source, channel=self.channel)
            if config.automod_holds:
                holds.record(accepted)
                holds.apply_resolutions(resolved)
            approved = self._auto_approve(accepted, window) if config.auto_approve else set()
            broadcast_on_commit("queue")
        # Committed: from here on nothing may raise, or the batch would be retried and stored twice.
        try:
            self._count(batch, plan, approved)
            if self.replier is not None and config.replies and accepted:
                self._offer_places(accepted, approved)
        except Exception:
            log.exception("after storing a batch of %d: counting or queue replies failed", len(batch))
        return plan

    def _ensure_window(self, config: ChatConfig) -> Window:
        if self._window is None:
            window = Window(cooldown=config.cooldown, support_window=float(settings.CHAT_SUPPORT_WINDOW))
            state.load(window)
            self._window = window
        self._window.cooldown = config.cooldown
        return self._window

    def _screen(self, batch: list[ChatEvent], config: ChatConfig, window: Window) -> list[Item]:
        items: list[Item] = []
        already = (
            holds.known([e.message_id for e in batch if isinstance(e, ChatMessage) and e.held is None])
            if config.automod_holds
            else set()
        )
        for event in batch:
            if isinstance(event, Support) or (isinstance(event, ChatMessage) and event.message_id in already):
                items.append((event, None))  # support; or a held question allowed into chat: not a new one
                continue
            text = question_text(event, window, config.policy)
            items.append((event, None if text is None else screen(text, config.rules)))
        return items

    def _remote(self, items: list[Item], config: ChatConfig) -> list[Item]:
        if self._checks is None:
            self._checks = checks.from_settings()
        return checks.apply(items, self._checks, moderation=config.moderation, guardrail=config.guardrail)

    def _auto_approve(self, accepted: list[tuple[Decided, Question]], window: Window) -> set[int]:
        approved: set[int] = set()
        for decided, question in accepted:
            if decided.verdict != PASSED:
                continue  # flagged questions always wait for a person
            try:
                with transaction.atomic():
                    question_approve(question=question, by=None)
            except SubmissionError as exc:
                self._warn_once("approve", f"auto-approve is on but cannot approve: {exc}")
                break
            approved.add(question.pk)
            if decided.entry is not None:
                window.set_status(decided.entry, ACTIVE)
        return approved

    def _count(self, batch: list[ChatEvent], plan: Plan, approved: set[int]) -> None:
        self.stats["events"] += len(batch)
        self.stats["support"] += len(plan.supports)
        self.stats["ignored"] += plan.ignored
        self.stats["evicted"] += len(plan.evicted)
        self.stats["approved"] += len(approved)
        for decided in plan.questions:
            self.stats["questions"] += 1
            self.stats[decided.verdict if decided.status == "dropped" else f"waiting_{decided.verdict}"] += 1

    # -- replies
    def _offer_places(self, accepted: list[tuple[Decided, Question]], approved: set[int]) -> None:
        assert self.replier is not None
        waiting = Question.objects.filter(status=Question.Status.PENDING).order_by("-priority", "received_at")
        place = {pk: i + 1 for i, pk in enumerate(waiting.values_list("pk", flat=True)[:5000])}
        per_answer = _seconds_per_answer()
        for _, question in accepted:
            if question.pk in approved or question.pk not in place:
                continue
            position = place[question.pk]
            self.replier.offer(queued_text(question.viewer_name, position, position * per_answer))

    def announce_aired(self) -> int:
        """Offer "answered on air" for this source's questions aired since the last call."""
        if self.replier is None:
            return 0
        with transaction.atomic():
            row = ChatSettings.objects.select_for_update().get(pk=ChatSettings.load().pk)
            now = timezone.now()
            if row.replied_until is None:
                row.replied_until = now  # start from now: never announce the past
                row.save(update_fields=["replied_until"])
                return 0
            aired = list(
                Question.objects.filter(
                    source=self.source, status=Question.Status.AIRED, updated_at__gt=row.replied_until
                ).order_by("updated_at")[:20]
            )
            for question in aired:
                self.replier.offer(answered_text(question.viewer_name))
            if aired:
                row.replied_until = aired[-1].updated_at
                row.save(update_fields=["replied_until"])
        return len(aired)

    # -- housekeeping
    def _housekeeping(self) -> None:
        now = time.monotonic()
        try:
            if self._every("aging", AGING_SECONDS, now):
                age_waiting_questions()
            config = self._config.current() if self.replier is not None else None
            if config is not None and config.replies and self._every("announce", ANNOUNCE_SECONDS, now):
                self.announce_aired()
            if self._every("report", REPORT_SECONDS, now):
                if self._window is not None:
                    self._window.forget_old(time.time())
                self.report()
        except (OperationalError, InterfaceError):
            log.warning("database unavailable for housekeeping; will retry")
            connection.close()

    def send_hold_decisions(self) -> int:
        """Moderators' approvals and rejections of AutoMod-held questions, sent to Twitch."""
        if not holds.waiting_decisions():
            return 0
        if self._resolver is None:
            self._resolver = checks.automod_from_settings()
        try:
            token: tuple[str, str] | NotChecked = checks.owner_token(holds.MANAGE_SCOPE)
        except NotChecked as exc:
            token = exc
        return holds.send_decisions(self._resolver, token)

    def _send_holds(self) -> None:
        try:
            while not self._stopping.wait(HOLDS_SECONDS):
                close_old_connections()
                try:
                    self.send_hold_decisions()
                except Exception:  # this thread must outlive one bad round (the database, Twitch)
                    log.exception("sending decisions on AutoMod-held questions failed; trying again")
                    connection.close()
        finally:
            connection.close()

    def _every(self, name: str, seconds: float, now: float) -> bool:
        if now < self._due.get(name, 0.0):
            return False
        self._due[name] = now + seconds
        return True

    def report(self, force: bool = False) -> None:
        if self.stats == self._reported and not force:
            return
        self._reported = Counter(self.stats)
        figures = ", ".join(f"{name} {count}" for name, count in sorted(self.stats.items()))
        log.info("chat ingest: %s", figures or "nothing yet")

    def _warn_once(self, key: str, message: str) -> None:
        if key not in self._warned:
            self._warned.add(key)
            log.warning(message)


def _seconds_per_answer() -> float:
    recent = Clip.objects.filter(duration__isnull=False).order_by("-pk")[:20]
    average = Clip.objects.filter(pk__in=list(recent.values_list("pk", flat=True))).aggregate(
        d=Avg("duration")
    )
    return float(average["d"] or DEFAULT_ANSWER_SECONDS)
