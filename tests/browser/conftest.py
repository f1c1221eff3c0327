"""A real studio (daphne serving the ASGI app, a Celery worker building clips) on 127.0.0.1,
driven by Debian's Chromium through Playwright. Nothing is mocked between the browser and the DB."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings

from tests.builder.worker import ROOT, celery_worker, stop_process, test_database_url, wait_until
from tests.sprites import link_studio_cache

CHROMIUM_ARGS = [
    "--no-sandbox",  # root in CI
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
]
PASSWORD = "pw-browser-123"
SMALL = {"STREAM_WIDTH": "320", "STREAM_HEIGHT": "180", "STREAM_FPS": "25"}


def chromium_path() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("chromium is not installed: `make test` installs it with apt-get")
    pytest.skip("chromium is not installed (apt-get install chromium)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Studio:
    url: str
    port: int
    env: dict[str, str]
    log: Path
    media: Path
    process: subprocess.Popen | None = None

    def start(self) -> None:
        argv = [
            sys.executable,
            "-m",
            "daphne",
            "-b",
            "127.0.0.1",
            "-p",
            str(self.port),
            "aijesus.asgi:application",
        ]
        self.process = subprocess.Popen(
            argv, cwd=ROOT, env=self.env, stdout=self.log.open("ab"), stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.1)
        raise AssertionError(f"daphne did not start:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process, timeout=10)
            self.process = None


def _environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}


@pytest.fixture(scope="session")
def collected_static(tmp_path_factory) -> Path:
    """The dashboard's static files, collected once for every studio the tests start: the same
    files each time, and a Django start-up (seconds on a busy machine) fewer per test."""
    data = tmp_path_factory.mktemp("static-data")
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT, env={**_environment(), "DATA_DIR": str(data)}, check=True,
    )  # fmt: skip
    return data / "static"


@contextmanager
def running_studio(
    tmp_path: Path, settings, redis_url: str, sprite_cache: Path, collected_static: Path,
    *, web_env: dict[str, str] | None = None, worker_env: dict[str, str] | None = None,
) -> Iterator[Studio]:  # fmt: skip
    """The dashboard on a free port and a gpu + library worker, sharing the test database and
    Redis. `web_env` / `worker_env`: settings of their own (a worker on another machine)."""
    media = tmp_path / "media"
    settings.MEDIA_ROOT = media
    link_studio_cache(media, sprite_cache)  # the worker loads the character, not draws it
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "static").symlink_to(collected_static, target_is_directory=True)
    prefix = settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"]
    env = {
        **_environment(),
        "DATABASE_URL": test_database_url(),
        "REDIS_URL": redis_url,
        "CHANNELS_PREFIX": prefix,
        "DATA_DIR": str(tmp_path / "data"),
        "MEDIA_ROOT": str(media),
        **SMALL,
        **(web_env or {}),
    }
    port = free_port()
    server = Studio(f"http://127.0.0.1:{port}", port, env, tmp_path / "daphne.log", media)
    server.start()
    worker = {k: env[k] for k in ("CHANNELS_PREFIX", "DATA_DIR", "MEDIA_ROOT")} | SMALL | (worker_env or {})
    try:
        with celery_worker(redis_url, "gpu,library", tmp_path / "worker.log", **worker):
            yield server
    finally:
        server.stop()
        end_other_sessions()


@pytest.fixture(scope="module")
def module_studio(
    django_db_setup, django_db_blocker, redis_url, sprite_cache, collected_static, tmp_path_factory
) -> Iterator[Studio]:
    """One studio for all of a module's tests: starting the two processes, the worker's warm-up
    and stopping them again took longer than most of the tests themselves."""
    tmp_path = tmp_path_factory.mktemp("studio")
    media_root = override_settings(MEDIA_ROOT=tmp_path / "media")  # restored after the module
    with (
        django_db_blocker.unblock(),
        media_root,
        running_studio(tmp_path, settings, redis_url, sprite_cache, collected_static) as server,
    ):
        yield server


@pytest.fixture
def studio(module_studio: Studio, transactional_db, settings) -> Iterator[Studio]:
    """The dashboard on a free port and a gpu + library worker, sharing the test database and
    Redis. The module's studio, as a fresh one: the database is emptied after each test (as
    always), and the test ends only once the worker has finished and holds nothing, so no build
    of one test lands in the next."""
    settings.MEDIA_ROOT = module_studio.media
    if module_studio.process is None:  # a test that stopped the server failed before restarting it
        module_studio.start()
    yield module_studio
    wait_until(worker_idle, 120, "the studio's worker to finish its tasks", step=0.1)


def worker_idle() -> bool:
    """Nothing waits in the worker's queues and nothing is unacknowledged (a task being run, or
    taken ahead: with late acks either stays in the transport's unacked set until it ends)."""
    import redis

    prefix = f"{settings.REDIS_KEY_PREFIX}:" if settings.REDIS_KEY_PREFIX else ""
    with redis.Redis.from_url(settings.REDIS_URL) as client:
        queues = [key for q in ("gpu", "library") for key in client.scan_iter(f"{prefix}{q}*")]
        queued = sum(client.llen(key) for key in queues if client.type(key) == b"list")
        return queued == 0 and client.hlen(f"{prefix}unacked") == 0


def end_other_sessions(timeout: float = 10.0) -> None:
    """PostgreSQL drops a killed client's session a moment after the process exits; the test
    database can only be flushed or dropped once the server's and the worker's are gone."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0] == 0:
                return
            time.sleep(0.1)


@pytest.fixture(scope="module")
def module_browser() -> Iterator[object]:
    """One Chromium for a module's tests; each test has contexts (cookies, pages) of its own."""
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    # Playwright's sync API runs an event loop in the test thread; the tests' own ORM calls are
    # ordinary synchronous code all the same. Only for this test process, never its children.
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
            # The tests' ORM calls ran while Playwright's loop was running, so Django filed their
            # connection under that loop's context: close it here, in the same context, or it
            # outlives the module and keeps the test database busy.
            from django.db import connections

            connections.close_all()


@pytest.fixture
def browser(module_browser) -> Iterator[object]:
    """The module's Chromium, left as the test found it: every context the test opened is closed
    after it (pages that stayed open would keep their sockets to the studio)."""
    yield module_browser
    for context in module_browser.contexts:
        context.close()


def seeded_with_moderator():
    """The studio seeded, and a moderator who can log in as `log_in` does."""
    from django.contrib.auth import get_user_model

    from aijesus.studio.roles import ensure_moderator_group
    from aijesus.studio.seed import seed_studio

    seed_studio(owner="seed-owner")
    user = get_user_model().objects.create_user("alice", password=PASSWORD)
    user.groups.add(ensure_moderator_group())
    return user


@pytest.fixture
def moderator_login(studio):
    return seeded_with_moderator()


OWNER = "olivia"


@pytest.fixture
def owner_login(studio):
    """The studio seeded, and an owner (the streamer) who logs in with `log_in(page, studio, OWNER)`."""
    from django.contrib.auth import get_user_model

    from aijesus.studio.seed import seed_studio

    seed_studio(owner=OWNER)
    user = get_user_model().objects.get(username=OWNER)
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    return user


def log_in(page, studio, username: str = "alice", password: str = PASSWORD) -> None:
    page.goto(studio.url + "/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(studio.url + "/")
    page.wait_for_selector("#conn[data-state=live]")


def screenshot_dir() -> Path | None:
    """Set DASHBOARD_SCREENSHOTS=docs/screenshots to refresh the docs' pictures from a real run."""
    target = os.environ.get("DASHBOARD_SCREENSHOTS")
    if not target:
        return None
    path = Path(target)
    path.mkdir(parents=True, exist_ok=True)
    return path
