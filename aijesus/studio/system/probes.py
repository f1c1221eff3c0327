"""The System page's "Test" actions: each does the real thing once, briefly, and says what happened.

- llm: the persona's answer engine answers one short question; the first words and the time to them.
- voice: the persona's voice speaks one sentence into an audition file the page plays.
- stream: an RTMP handshake with the ingest (C0+C1 out, S0+S1 back): the server is there and speaks
  RTMP. Nothing is published and the stream key is never sent.
- workers: a Celery ping to every worker, and who answered.
"""

from __future__ import annotations

import os
import socket
import ssl
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from kombu.exceptions import OperationalError
from redis.exceptions import RedisError

from aijesus.studio import playground
from aijesus.studio.system.report import safe_url
from builder.answer import persona_prompt
from builder.engines import llm_for, with_defaults
from builder.llm import LLMError

TESTS = ("llm", "voice", "stream", "workers")
TEST_QUESTION = "Please greet the viewers in one short sentence."
TEST_SENTENCE = "This is a test of the studio's voice."
FIRST_WORDS = 12
RTMP_VERSION = 3
RTMP_SIG = 1536


@dataclass
class Result:
    ok: bool
    detail: str
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. the audition's URL


def run_test(name: str, persona: dict[str, Any] | None, *, timeout: float) -> Result:
    if name == "workers":
        return test_workers(timeout)
    if name == "stream":
        return test_rtmp(settings.STREAM_RTMP_URL, timeout)
    if persona is None:
        return Result(False, "No persona is active.")
    if name == "llm":
        return test_llm(persona)
    if name == "voice":
        return test_voice(persona)
    raise ValueError(f"no test called {name!r}")


def test_llm(persona: dict[str, Any]) -> Result:
    data = with_defaults(persona)
    started = time.monotonic()
    first_at, words = None, ""
    try:
        pieces = llm_for(data).stream(persona_prompt(data, TEST_QUESTION, "system check"))
        for piece in pieces:
            if first_at is None and piece.strip():
                first_at = time.monotonic() - started
            words += piece
            if len(words.split()) > FIRST_WORDS:
                break
        close = getattr(pieces, "close", None)
        if close:
            close()  # stop reading: the first words are all the test needs
    except LLMError as exc:
        return Result(False, f"{exc} (after {time.monotonic() - started:.2f} s)")
    except (ValueError, TypeError) as exc:
        return Result(False, f"the answer engine is misconfigured: {exc}")
    if first_at is None:
        return Result(False, f"no words after {time.monotonic() - started:.2f} s")
    shown = " ".join(words.split()[:FIRST_WORDS])
    return Result(True, f"first words after {first_at:.2f} s: “{shown}…”", {"seconds": round(first_at, 3)})


def test_voice(persona: dict[str, Any]) -> Result:
    from django.urls import reverse

    started = time.monotonic()
    try:
        audition = playground.voice_answer(persona, TEST_SENTENCE)
    except playground.PlaygroundError as exc:
        return Result(False, str(exc))
    took = time.monotonic() - started
    return Result(
        True,
        f"spoke {audition.duration:.1f} s of audio in {took * 1000:.0f} ms",
        {"audio": reverse("playground-audio", args=[audition.name])},
    )


def test_rtmp(url: str, timeout: float) -> Result:
    """The ingest's side of the RTMP handshake: proves a live RTMP server is at `url`."""
    parts = urlsplit(url)
    if parts.scheme not in ("rtmp", "rtmps") or not parts.hostname:
        return Result(False, f"STREAM_RTMP_URL is not an rtmp:// or rtmps:// URL: {safe_url(url)}")
    port = parts.port or (443 if parts.scheme == "rtmps" else 1935)
    where = f"{parts.hostname}:{port}"
    started = time.monotonic()
    try:
        with socket.create_connection((parts.hostname, port), timeout=timeout) as raw:
            sock = raw
            if parts.scheme == "rtmps":
                sock = ssl.create_default_context().wrap_socket(raw, server_hostname=parts.hostname)
            sock.settimeout(timeout)
            c1 = int(time.time()).to_bytes(4, "big") + bytes(4) + os.urandom(RTMP_SIG - 8)
            sock.sendall(bytes([RTMP_VERSION]) + c1)
            reply = _read(sock, 1 + RTMP_SIG)
    except (OSError, ssl.SSLError) as exc:
        return Result(False, f"cannot reach the ingest at {where}: {exc}")
    took = time.monotonic() - started
    if len(reply) < 1 + RTMP_SIG or reply[0] != RTMP_VERSION:
        return Result(False, f"{where} answered, but not as an RTMP server (got {len(reply)} bytes)")
    return Result(True, f"{where} speaks RTMP (handshake in {took * 1000:.0f} ms); the key was not sent")


def _read(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            break
        data += chunk
    return data


def test_workers(timeout: float) -> Result:
    from aijesus.celery import app

    started = time.monotonic()
    try:
        replies = app.control.ping(timeout=timeout)
    except (OperationalError, OSError, RedisError) as exc:
        return Result(False, f"the broker did not take the ping: {exc}")
    names = sorted(name for reply in replies or [] for name in reply)
    if not names:
        return Result(False, f"no worker answered within {timeout:g} s")
    return Result(True, f"{len(names)} answered in {time.monotonic() - started:.2f} s: {', '.join(names)}")
