"""Helpers for tests that run two database connections at once, stepped by events, never by sleeps.

A `Gate` stops one thread at a chosen point (it tells the test when it got there); a `Worker` runs
code on its own connection and keeps its result or exception. `wait_until_stuck` returns once a
worker can go no further without the other connection: finished, or waiting for a lock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection

# Only a broken test ever waits this long: every wait ends on an event.
DEADLINE_SECONDS = 30
# Statements that take SQLite's write lock (an IMMEDIATE transaction takes it at BEGIN).
_LOCKING = ("INSERT", "UPDATE", "DELETE", "REPLACE", "BEGIN IMMEDIATE", "BEGIN EXCLUSIVE")


class Gate:
    """Stops the thread that reaches it until the test opens it."""

    def __init__(self) -> None:
        self.reached = threading.Event()
        self.opened = threading.Event()

    def stop_here(self) -> None:
        self.reached.set()
        if not self.opened.wait(DEADLINE_SECONDS):
            raise TimeoutError("the test never opened the gate")

    def wait_reached(self) -> None:
        assert self.reached.wait(DEADLINE_SECONDS), "the thread never reached the gate"


class Worker(threading.Thread):
    """Runs `target` in a thread of its own (so on a database connection of its own)."""

    def __init__(self, target: Callable[[], Any], name: str) -> None:
        super().__init__(name=name, daemon=True)
        self.target = target
        self.result: Any = None
        self.error: BaseException | None = None
        self.done = threading.Event()
        self.wrote = threading.Event()  # it has sent a statement that takes a write lock
        self.backend_pid: int | None = None

    def run(self) -> None:
        try:
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_backend_pid()")
                    self.backend_pid = cursor.fetchone()[0]
            with connection.execute_wrapper(self._watch):
                self.result = self.target()
        except Exception as exc:  # noqa: BLE001 - handed to the test, raised by outcome()
            self.error = exc
        finally:
            connection.close()
            self.done.set()

    def _watch(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        if sql.lstrip().upper().startswith(_LOCKING):
            self.wrote.set()
        return execute(sql, params, many, context)

    def outcome(self) -> Any:
        """What `target` returned; what it raised is raised here."""
        self.join(DEADLINE_SECONDS)
        assert not self.is_alive(), f"{self.name} did not finish"
        if self.error is not None:
            raise self.error
        return self.result


def finish_workers() -> None:
    """Let every worker end before the test's database is emptied (a failed test leaves some)."""
    for thread in threading.enumerate():
        if isinstance(thread, Worker):
            thread.join(DEADLINE_SECONDS)


def _waits_for_a_lock(worker: Worker) -> bool:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT cardinality(pg_blocking_pids(%s)) > 0", [worker.backend_pid])
            return bool(cursor.fetchone()[0])
    # SQLite shows no lock waits: a write sent while another connection holds the database's write
    # lock waits for it (the busy timeout) or fails at once. Either way the other may go on now.
    return worker.wrote.is_set()


def wait_until_stuck(worker: Worker) -> None:
    """Return once `worker` has finished or waits for a lock another connection holds."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not worker.done.is_set():
        started = worker.backend_pid is not None or connection.vendor != "postgresql"
        if started and _waits_for_a_lock(worker):
            return
        assert time.monotonic() < deadline, f"{worker.name} neither finished nor waited for a lock"
        # Not a timing window: only how often PostgreSQL is asked whether the worker waits.
        worker.done.wait(0.005)


@contextmanager
def writes_that_never_wait() -> Iterator[None]:
    """This thread's connection fails at once, instead of waiting, on a lock another one holds."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA busy_timeout = 0")
        else:
            cursor.execute("SET lock_timeout = '1ms'")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                timeout_ms = int(connection.settings_dict["OPTIONS"].get("timeout", 5) * 1000)
                cursor.execute(f"PRAGMA busy_timeout = {timeout_ms}")
            else:
                cursor.execute("RESET lock_timeout")
