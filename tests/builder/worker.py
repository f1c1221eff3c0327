"""Run a real Celery worker process against the test database and the test Redis."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def test_database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = quote(db["USER"] or "")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"])
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@contextmanager
def celery_worker(
    redis_url: str, queues: str, log_path: Path, **extra_env: str
) -> Iterator[subprocess.Popen]:
    env = {**os.environ, "DATABASE_URL": test_database_url(), "REDIS_URL": redis_url, **extra_env}
    argv = [sys.executable, "-m", "celery", "-A", "aijesus", "worker", "--queues", queues]
    argv += ["--pool", "solo", "--loglevel", "INFO", "--hostname", f"test-{os.getpid()}@%h"]
    # Mingle spends a second at every start asking other workers for their state; no test needs it.
    argv += ["--without-mingle", "--without-gossip"]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            yield process
        finally:
            stop_process(process)


def stop_process(process: subprocess.Popen, timeout: float = 15) -> None:
    """SIGTERM, and SIGKILL if it has not exited within `timeout` seconds."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_until(predicate, timeout: float, what: str, step: float = 0.05) -> None:
    """Until `predicate()` holds (checked every `step` s), or fail after `timeout` s naming `what`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(step)
    raise AssertionError(f"timed out waiting for {what}")


def wait_for(predicate, timeout: float, what: str, log_path: Path) -> None:
    try:
        wait_until(predicate, timeout, what, step=0.2)
    except AssertionError as exc:
        raise AssertionError(f"{exc}; worker log:\n{log_path.read_text()[-4000:]}") from None
