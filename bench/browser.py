"""A moderator's dashboard in headless Chromium (Debian's, driven by Playwright), logged in through
the login page and kept open: its websocket, snapshots and preview refreshes load the studio as a
real moderator's tab does, and approvals are clicks on the queue's Approve button.

Playwright's sync API marks its event loop as running in the thread that uses it, so Django's ORM
and `async_to_sync` cannot run in that thread: callers keep their database work elsewhere.
"""

from __future__ import annotations

import os
import shutil
from types import TracebackType
from typing import Any

# As the browser tests launch it (tests/browser/conftest.py).
CHROMIUM_ARGS = [
    "--no-sandbox",  # root on the dev VM and in CI
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
]


def chromium_path() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        raise RuntimeError("chromium is not installed: `make chromium` (apt-get install chromium)")
    return found


class Dashboard:
    """`with Dashboard(url, user, password) as dash:` a logged-in dashboard page until the end."""

    def __init__(self, url: str, username: str, password: str, *, timeout_s: float = 60) -> None:
        self.url, self.username, self.password = url, username, password
        self.timeout_ms = timeout_s * 1000
        self.errors: list[str] = []
        self._playwright: Any = None
        self._browser: Any = None
        self.page: Any = None

    def __enter__(self) -> Dashboard:
        from playwright.sync_api import sync_playwright

        self._playwright = sync_playwright().start()
        try:
            self._browser = self._playwright.chromium.launch(
                executable_path=chromium_path(), args=CHROMIUM_ARGS
            )
            self.page = self._browser.new_page(viewport={"width": 1366, "height": 768})
            self.page.set_default_timeout(self.timeout_ms)
            self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
            self._log_in()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:  # fmt: skip
        self.close()

    def close(self) -> None:
        if self._browser is not None:
            self._browser.close()
            self._browser = None
        if self._playwright is not None:
            self._playwright.stop()
            self._playwright = None

    def _log_in(self) -> None:
        self.page.goto(self.url + "/login/")
        self.page.fill("input[name=username]", self.username)
        self.page.fill("input[name=password]", self.password)
        self.page.click("button[type=submit]")
        self.page.wait_for_url(self.url + "/")
        self.page.wait_for_selector("#conn[data-state=live]")

    def approve(self, question_id: int) -> None:
        """Click Approve on the question's row once the live queue shows it; returns when the
        page says the approval went through."""
        row = self.page.locator(f'#pending li.question[data-id="{question_id}"]')
        row.locator("button.approve").click()
        self.page.locator("#toast", has_text=f"Approved #{question_id}").wait_for()

    def idle(self, seconds: float) -> None:
        """Wait while the page keeps running (Playwright's events are taken meanwhile)."""
        self.page.wait_for_timeout(seconds * 1000)

    def browser_pid(self) -> int | None:
        """Chromium's browser process: under this process (other work on the machine may run a
        browser of its own), the chromium whose parent is not chromium (Playwright's driver)."""
        from bench.cpu import snapshot, tree

        procs = snapshot()
        for proc in (procs[pid] for pid in tree(procs, os.getpid())):
            parent = procs.get(proc.ppid)
            if proc.name.startswith("chrom") and parent is not None and not parent.name.startswith("chrom"):
                return proc.pid
        return None
