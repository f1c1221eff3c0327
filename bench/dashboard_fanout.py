"""Open dashboards while the stream idles: what the web process spends, and what each page gets.

The real web process (daphne running the ASGI app, as the Procfile starts it) on the throw-away
database with `PENDING` questions waiting; `CLIENTS` moderator dashboards on websockets (aiohttp,
logged in with a session cookie); the streamer's idle state published once a second by the
streamer's own `StatePublisher` on a real Redis client. Over `SECONDS` (after a short warm-up):
the web process's CPU in cores (utime + stime from /proc/<pid>/stat) and, per dashboard per
second, the messages and bytes received by type. Goal (issue 13): web ≤ 0.05 core, and only small
"stream" messages while the stream idles. BENCH_FANOUT_SECONDS shortens a trial run.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CLIENTS = 10
PENDING = 300
SECONDS = float(os.environ.get("BENCH_FANOUT_SECONDS", "30"))
WARMUP = 3.0  # seconds of publishing before the window opens: connects and first snapshots done
GOAL_CORES = 0.05
TOPICS = ["forgiveness", "the parables", "prayer", "suffering", "the Sabbath", "loving enemies"]


@dataclass
class Received:
    """What one dashboard got: (monotonic time, type, bytes) per message."""

    messages: list[tuple[float, str, int]] = field(default_factory=list)
    first: asyncio.Event = field(default_factory=asyncio.Event)


def run() -> dict[str, Any]:
    from django.conf import settings
    from django.test.utils import override_settings

    from aijesus.localredis import BundledRedis, redis_answers
    from bench.studio import Studio

    pending, cookie = _studio_data()
    load_before = os.getloadavg()[0]  # the machine may be shared: say how busy it was
    with tempfile.TemporaryDirectory(prefix="bench-fanout-") as tmp:
        root = Path(tmp)
        bundled = None
        redis_url = settings.REDIS_URL
        if not redis_answers(redis_url):
            bundled = BundledRedis(root / "redis")
            redis_url = bundled.start()
        studio = Studio(redis_url, root / "media", root / "logs")
        # This process publishes the stream state: to the web process's Redis keys and group.
        layers = {
            "default": {
                "BACKEND": "channels_redis.core.RedisChannelLayer",
                "CONFIG": {"hosts": [redis_url], "prefix": studio.env["CHANNELS_PREFIX"]},
            }
        }
        try:
            with override_settings(REDIS_URL=redis_url, CHANNEL_LAYERS=layers):
                _fresh_channel_layers()
                port = _free_port()
                web = studio.start("web", [
                    sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port),
                    "aijesus.asgi:application",
                ])  # fmt: skip
                _wait_for_port(port, web, studio)
                figures = asyncio.run(_measure(port, web.pid, cookie, redis_url))
        finally:
            studio.stop_all()
            _fresh_channel_layers()
            if bundled is not None:
                bundled.stop()
    return {
        "setup": {
            "dashboards": CLIENTS,
            "pending_questions": pending,
            "stream_state_hz": 1,
            "seconds": SECONDS,
            "stream": "idle (nothing on air, nothing up next)",
        },
        **figures,
        "load_average_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "goal": {"web_cpu_cores_max": GOAL_CORES, "only_stream_messages_while_idle": True},
        "met": figures["web_cpu_cores"] <= GOAL_CORES
        and set(figures["per_dashboard_per_second"]) <= {"stream"},
    }


def _studio_data() -> tuple[int, str]:
    """The persona, a moderator's session cookie, and at least PENDING questions waiting."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    from aijesus.studio.models import Question
    from aijesus.studio.roles import ensure_moderator_group
    from aijesus.studio.seed import seed_studio
    from aijesus.studio.services import question_submit

    seed_studio(owner="bench-owner")
    user, _ = get_user_model().objects.get_or_create(username="bench-dashboard")
    user.groups.add(ensure_moderator_group())
    waiting = Question.objects.filter(status=Question.Status.PENDING).count()
    for i in range(waiting, PENDING):
        topic = TOPICS[i % len(TOPICS)]
        text = f"Question {i}: what did Jesus teach about {topic}, and how should we live it today?"
        question_submit(text=text, viewer_name=f"viewer_{i}", source=Question.Source.TWITCH)
    client = Client()
    client.force_login(user)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    return Question.objects.filter(status=Question.Status.PENDING).count(), cookie


async def _measure(port: int, pid: int, cookie: str, redis_url: str) -> dict[str, Any]:
    import aiohttp

    base = f"http://127.0.0.1:{port}"
    headers = {"Origin": base, "Cookie": cookie}
    received = [Received() for _ in range(CLIENTS)]
    async with aiohttp.ClientSession() as session:
        sockets = [
            await session.ws_connect(f"ws://127.0.0.1:{port}/ws/dashboard/", headers=headers, max_msg_size=0)
            for _ in range(CLIENTS)
        ]
        readers = [asyncio.create_task(_read(ws, got)) for ws, got in zip(sockets, received, strict=True)]
        await asyncio.wait_for(asyncio.gather(*(got.first.wait() for got in received)), timeout=60)
        stop = threading.Event()
        publisher = threading.Thread(target=_publish_like_the_streamer, args=(redis_url, stop), daemon=True)
        publisher.start()
        try:
            await asyncio.sleep(WARMUP)
            start, cpu_start = time.monotonic(), _cpu_seconds(pid)
            await asyncio.sleep(SECONDS)
            end, cpu_end = time.monotonic(), _cpu_seconds(pid)
        finally:
            stop.set()
            await asyncio.to_thread(publisher.join, 5)
            for ws in sockets:
                await ws.close()
            for reader in readers:
                reader.cancel()
    return _figures(received, start, end, (cpu_end - cpu_start) / (end - start))


async def _read(ws: Any, got: Received) -> None:
    import json

    import aiohttp

    async for message in ws:
        if message.type != aiohttp.WSMsgType.TEXT:
            continue
        kind = json.loads(message.data).get("type", "?")
        got.messages.append((time.monotonic(), kind, len(message.data.encode())))
        got.first.set()


def _publish_like_the_streamer(redis_url: str, stop: threading.Event) -> None:
    """The streamer's publishing, idle: its frame loop asks `due()` every frame and publishes once a
    second, through the same publisher (Redis write, then the dashboards' notice on its thread)."""
    from streamer.control import redis_client
    from streamer.state import StatePublisher

    publisher = StatePublisher(redis_client(redis_url))
    frames = 0
    try:
        while not stop.wait(1 / 30):
            frames += 1
            if publisher.due():
                publisher.publish(_idle_state(frames))
    finally:
        publisher.close()


def _idle_state(frames: int) -> dict[str, Any]:
    """Shaped like streamer/runner.py's state() while the idle loop plays."""
    return {
        "on_air": True,
        "output": "preview /var/studio/media/preview/stream.m3u8",
        "paused": False,
        "now_playing": None,
        "queue": [],
        "health": {
            "fps": 30.0,
            "target_fps": 30,
            "frames_behind": 0,
            "encoder_speed": 1.0,
            "reconnects": 0,
            "underruns": 0,
            "frames": frames,
        },
        "updated_at": time.time(),
    }


def _figures(received: list[Received], start: float, end: float, cores: float) -> dict[str, Any]:
    seconds = end - start
    counts: dict[str, int] = defaultdict(int)
    sizes: dict[str, int] = defaultdict(int)
    largest: dict[str, int] = defaultdict(int)
    for got in received:
        for at, kind, size in got.messages:
            if start <= at < end:
                counts[kind] += 1
                sizes[kind] += size
                largest[kind] = max(largest[kind], size)
    per = CLIENTS * seconds
    return {
        "web_cpu_cores": round(cores, 4),
        "per_dashboard_per_second": {
            kind: {"messages": round(counts[kind] / per, 2), "bytes": round(sizes[kind] / per)}
            for kind in sorted(counts)
        },
        "largest_message_bytes": dict(sorted(largest.items())),
        "connect_snapshot_bytes": received[0].messages[0][2],
    }


def _cpu_seconds(pid: int) -> float:
    """utime + stime of the process (its threads included), from /proc/<pid>/stat."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) ": state is field 3
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, process: Any, studio: Any, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the web process exited ({process.returncode})\n{studio.tail()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"the web process did not listen on {port}\n{studio.tail()}")


def _fresh_channel_layers() -> None:
    """Channels caches the layer it built from the settings: forget it when they change."""
    from channels.layers import channel_layers

    channel_layers.backends.clear()
