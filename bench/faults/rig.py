"""One row's studio: its own Redis, media folder, logs and recordings, the processes `make run`
starts (bench/studio.py), and the bench's ways in: approve a question, send the streamer a
command, watch the database, break something.

Each streamer publishes to an RTMP ingest of its own (bench/faults/recorder.py) that records every
session it is sent, so what each one put on air can be read back (bench/faults/heard.py).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.faults.llm import ScriptedLLM
from bench.faults.recorder import Recorder
from bench.studio import ROOT, Studio

# Small pictures (the faults, not the encode, are measured) and the studio's own liveness
# settings: a database outage of 30 s is then three heartbeat windows (BUILD_STALE_SECONDS 10).
STUDIO_ENV = {"STREAM_WIDTH": "320", "STREAM_HEIGHT": "180", "STREAM_FPS": "25"}
POLL_S = 0.25
_tickets = itertools.count(1)


@dataclass
class Streamer:
    name: str
    log: Path
    recorder: Recorder
    started: float
    killed: float | None = None


@dataclass
class Rig:
    name: str
    root: Path
    llm: ScriptedLLM
    env: dict[str, str] = field(default_factory=dict)
    workers_env: dict[str, str] = field(default_factory=dict)
    studio: Studio | None = None
    redis: Any = None  # the row's BundledRedis
    streamers: list[Streamer] = field(default_factory=list)
    clips: list[int] = field(default_factory=list)
    tickets: dict[int, int] = field(default_factory=dict)  # clip → ticket
    approved_at: dict[int, float] = field(default_factory=dict)  # clip → wall time
    settled_at: dict[int, float] = field(default_factory=dict)  # clip → wall time first seen settled
    exited: dict[str, int] = field(default_factory=dict)  # processes that exited by themselves
    marks: dict[str, float] = field(default_factory=dict)  # the row's moments (fault, restored…)
    notes: list[str] = field(default_factory=list)  # what did not go as the row meant it to

    def up(self, redis_url: str) -> Rig:
        """The build worker, the library worker and the scheduler; streamers are the row's
        business (`streamer`)."""
        self.studio = Studio(
            redis_url, self.root / "media", self.root / "logs",
            LLM_API_KEY="bench-key", LLM_BASE_URL=self.llm.url, LLM_TIMEOUT="120",
            DATA_DIR=str(self.root / "data"), **{**STUDIO_ENV, **self.env},
        )  # fmt: skip
        self.studio.worker(**self.workers_env)
        library = self.studio.worker("library", queues="library", **self.workers_env)
        # The Procfile runs it under `nice -n 10`; its process group is the worker and its pool.
        os.setpriority(os.PRIO_PGRP, library.pid, 10)
        self.studio.scheduler()
        return self

    def ready(self) -> None:
        """The build worker has started (its log says "ready."); processes start in parallel."""
        if not self.wait(lambda: "ready." in self.log("worker"), "the worker", 180):
            raise RuntimeError(f"the worker did not start\n{self.studio.tail() if self.studio else ''}")

    # -- processes
    def streamer(self, name: str = "streamer", *, wait: bool = True, args: tuple[str, ...] = ()) -> Streamer:
        """`manage.py stream` to an ingest of its own; `wait`: until its encoder and the worker run."""
        assert self.studio is not None
        recorder = Recorder(self.root / "rec" / name).start()
        self.studio.start(name, [
            sys.executable, "manage.py", "stream", "--output", "rtmp", "--rtmp", recorder.url, *args,
        ], STREAM_KEY="")  # fmt: skip
        streamer = Streamer(name, self.studio.logs / f"{name}.log", recorder, time.time())
        self.streamers.append(streamer)
        if wait:
            if not self.wait(lambda: "encoder:" in self.log(name), f"{name} to start its encoder", 120):
                raise RuntimeError(f"{name} did not start its encoder\n{self.log(name)[-3000:]}")
            self.ready()
        return streamer

    def kill(self, name: str) -> float:
        """SIGKILL a process and its children; returns the moment."""
        assert self.studio is not None
        self.studio.kill(name)
        at = time.time()
        for streamer in self.streamers:
            if streamer.name == name:
                streamer.killed = at
        return at

    def command(self, command: str) -> None:
        """A stream command (pause, resume, skip) sent as the dashboard sends it."""
        self._manage("stream", f"--{command}")

    def log(self, name: str) -> str:
        assert self.studio is not None
        path = self.studio.logs / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    # -- questions
    def ask(self, text: str = "What is peace?", ticket: int | None = None) -> int:
        """Approve a question as a moderator would (from a process of the studio); returns its
        clip. The ticket word (`ticket()`, or a fresh one) tells the scripted LLM which it is."""
        ticket = ticket or self.ticket()
        out = self._manage("ask", f"{text} (ticket{ticket})", "--user", f"viewer{ticket}", "--approve")
        clip = int(out.rsplit("clip #", 1)[1].split()[0])
        self.approved_at[clip] = time.time()
        self.clips.append(clip)
        self.tickets[clip] = ticket
        return clip

    @staticmethod
    def ticket() -> int:
        """A new ticket, to script an answer before its question is asked."""
        return next(_tickets)

    def _manage(self, *args: str) -> str:
        assert self.studio is not None
        done = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.studio.env,
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed: {done.stderr[-2000:]}")
        return done.stdout

    # -- watching
    def wait(self, condition: Callable[[], Any], what: str, timeout: float) -> bool:
        """Polls `condition` (fresh database reads) until it holds; False after `timeout`. A
        process that exits by itself is noted (the row reports it), not fatal."""
        from django.db import close_old_connections

        deadline = time.monotonic() + timeout
        while True:
            close_old_connections()
            self._note_exits()
            self._note_settled()
            if condition():
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(POLL_S)

    def expect(self, condition: Callable[[], Any], what: str, timeout: float) -> bool:
        """`wait`, and a note in the row's result if `what` did not happen in time (the row goes
        on: what the studio does next is still measured)."""
        if self.wait(condition, what, timeout):
            return True
        self.notes.append(f"no {what} within {timeout:.0f} s")
        return False

    def settled(self) -> bool:
        """Every question of the row aired or failed (with or without a reason)."""
        self._note_settled()
        return all(clip in self.settled_at for clip in self.clips)

    def on_air(self, clip: int) -> str | None:
        """The streamer whose log put `clip` on air first (its log, not the database: a moment on
        air is long past by the time a poll of `on_air_since` might see it, and logs stay)."""
        from bench.faults.heard import ON_AIR, stamp

        seen = [
            (stamp(m.group(1)), streamer.name)
            for streamer in self.streamers
            for m in ON_AIR.finditer(self.log(streamer.name))
            if int(m.group(2)) == clip
        ]
        return min(seen)[1] if seen else None

    def streaming(self) -> bool:
        """Whether a streamer process of the row is still running."""
        assert self.studio is not None
        names = {s.name for s in self.streamers}
        return any(p.poll() is None for n, p in self.studio.processes.items() if n in names)

    def _note_settled(self) -> None:
        from aijesus.studio.models import Clip

        pending = [c for c in self.clips if c not in self.settled_at]
        if not pending:
            return
        now = time.time()
        for pk, q_status in Clip.objects.filter(pk__in=pending).values_list("pk", "question__status"):
            if q_status in ("aired", "failed"):
                self.settled_at[pk] = now

    def _note_exits(self) -> None:
        assert self.studio is not None
        for name, process in list(self.studio.processes.items()):
            if process.poll() is not None and name not in self.exited:
                self.exited[name] = process.returncode

    def mark(self, what: str) -> float:
        self.marks[what] = time.time()
        return self.marks[what]

    def stop(self) -> None:
        """SIGTERM everything (a streamer writes the reports it owes, its ffmpeg closes the FLV)."""
        if self.studio is not None:
            # The newest streamer first: a standby stopped after the one on air would take over
            # for the moment it has left.
            for streamer in reversed(self.streamers):
                if streamer.name in self.studio.processes:
                    self.studio.stop(streamer.name)
            self.studio.stop_all()
        for streamer in self.streamers:
            streamer.recorder.stop()


@contextlib.contextmanager
def row_studio(
    name: str, root: Path, llm: ScriptedLLM, *, workers_env: dict[str, str] | None = None, **env: str
) -> Iterator[Rig]:
    """A row's studio up (workers, scheduler; no streamer yet) on a redis-server of its own (a row
    may kill it, and nothing else sees its queues); everything stopped afterwards. `env` is the
    studio's; `workers_env` the build and library workers' own on top (another machine's)."""
    from aijesus.localredis import BundledRedis

    rig = Rig(name, root, llm, env, workers_env or {})
    rig.redis = BundledRedis(root / "redis")
    rig.redis.start()
    try:
        rig.up(rig.redis.url)
        rig.mark("start")
        yield rig
    finally:
        rig.stop()
        rig.redis.stop()
