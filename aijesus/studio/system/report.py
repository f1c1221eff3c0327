"""One line of the System page and of `manage.py doctor`."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

OK, WARN, FAIL, OFF = "ok", "warn", "fail", "off"


@dataclass
class Check:
    key: str  # stable id: the Test action's name and the page's anchor
    title: str
    status: str  # ok, warn (works, but look), fail (something needed is missing), off (not used)
    value: str  # what is in effect, in a few words
    detail: str = ""
    fix: str = ""  # what to change: which variable, which file, which command
    testable: bool = False  # the System page offers a "Test" action for this row

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def safe_url(url: str) -> str:
    """A service URL as shown to people: never user:password@ (a Redis or database password)."""
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.hostname is None:
        return parts.scheme + "://…" if parts.scheme else "…"
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def summary(checks: list[Check]) -> str:
    """One line: counts, and the names of the problems."""
    counts = {status: sum(1 for c in checks if c.status == status) for status in (OK, WARN, FAIL)}
    plural = "s" if counts[FAIL] != 1 else ""
    line = f"{counts[OK]} ok, {counts[WARN]} to look at, {counts[FAIL]} problem{plural}"
    failing = [c.title for c in checks if c.status == FAIL]
    if failing:
        line += f" ({', '.join(failing)})"
    return line
