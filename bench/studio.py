"""The studio's processes, started as `make run` starts them (the dashboard, a prefork worker with
one child on both queues, the scheduler, the streamer), against one database and one Redis. Used
by the benchmarks that measure the whole studio and by the fault tests.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import close_old_connections, connection

ROOT = Path(__file__).resolve().parent.parent


def database_url() -> str:
    """The URL of the database this process uses now (a test database included), for a child."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = quote(db["USER"] or "")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"])
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def stop_process(process: subprocess.Popen, timeout: float = 15) -> None:
    """SIGTERM, and SIGKILL if it has not exited within `timeout` seconds."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class Studio:
    """Starts the studio's processes with one environment; logs each to a file; stops them all."""

    def __init__(self, redis_url: str, media_root: Path, logs: Path, **env: str) -> None:
        self.logs = logs
        self.logs.mkdir(parents=True, exist_ok=True)
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "REDIS_URL": redis_url,
            "MEDIA_ROOT": str(media_root),
            "CHANNELS_PREFIX": f"aijesus-fault-{uuid.uuid4().hex[:8]}",
            "PYTHONUNBUFFERED": "1",
            **env,
        }
        self.processes: dict[str, subprocess.Popen] = {}

    def start(self, name: str, argv: list[str], **env: str) -> subprocess.Popen:
        """`env`: this process's own settings over the studio's (a worker on "another machine")."""
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 — the process owns it while it runs
        process = subprocess.Popen(
            argv, cwd=ROOT, env={**self.env, **env}, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        log.close()
        self.processes[name] = process
        return process

    def web(self, port: int, host: str = "127.0.0.1") -> subprocess.Popen:
        """The dashboard as the Procfile serves it: daphne running the ASGI app."""
        return self.start("web", [
            sys.executable, "-m", "daphne", "--bind", host, "--port", str(port), "aijesus.asgi:application",
        ])  # fmt: skip

    def worker(self, name: str = "worker", queues: str = "", **env: str) -> subprocess.Popen:
        """The worker as `make run` starts it: prefork, one child, both queues (or `queues`)."""
        gpu = settings.CELERY_TASK_ROUTES["builder.tasks.build_clip"]["queue"]
        queues = queues or f"{settings.CELERY_TASK_DEFAULT_QUEUE},{gpu}"
        return self.start(name, [
            sys.executable, "-m", "celery", "-A", "aijesus", "worker", "--queues", queues,
            "--pool", "prefork", "--concurrency", "1", "--loglevel", "INFO",
            "--hostname", f"{name}-{uuid.uuid4().hex[:6]}@%h", "--without-gossip", "--without-mingle",
        ], **env)  # fmt: skip

    def scheduler(self) -> subprocess.Popen:
        return self.start("scheduler", [
            sys.executable, "-m", "celery", "-A", "aijesus", "beat", "--loglevel", "INFO",
            "--schedule", str(self.logs / "beat-schedule"),
        ])  # fmt: skip

    def streamer(self, *args: str) -> subprocess.Popen:
        return self.start(
            "streamer", [sys.executable, "manage.py", "stream", *(args or ("--output", "preview"))]
        )

    def ask(self, text: str) -> int:
        """Approve a question from a process of the studio (its sends go to the studio's broker)."""
        done = subprocess.run(
            [sys.executable, "manage.py", "ask", text, "--approve"],
            cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=120, check=True,
        )  # fmt: skip
        return int(done.stdout.rsplit("clip #", 1)[1].split()[0])

    def kill(self, name: str) -> None:
        """SIGKILL the process and its children (what an out-of-memory kill does to a worker)."""
        process = self.processes.pop(name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def stop(self, name: str) -> None:
        stop_process(self.processes.pop(name), timeout=20)

    def stop_all(self) -> None:
        for name in list(self.processes):
            process = self.processes.pop(name)
            if process.poll() is None:
                stop_process(process, timeout=20)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)  # a pool child left behind

    def tail(self) -> str:
        parts = []
        for path in sorted(self.logs.glob("*.log")):
            parts.append(f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}")
        return "\n".join(parts)

    def wait_until(self, condition: Callable[[], bool], what: str, timeout: float = 180) -> None:
        """Polls a condition on the database (fresh reads each time) until it holds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            close_old_connections()
            if condition():
                return
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise AssertionError(
                        f"{name} exited ({process.returncode}) waiting for {what}\n{self.tail()}"
                    )
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}\n{self.tail()}")
