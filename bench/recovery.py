"""Recovery after a worker is SIGKILLed mid-build, with default liveness settings, on the real
worker (prefork, one child) and scheduler, at the default stream size.

Two faults, each repeated: the pool child killed (what the out-of-memory killer does; the master
redelivers the task and the next child rebuilds at once), and the whole worker killed and a new one
started at once (the scheduler's reaper notices the silent heartbeat after BUILD_STALE_SECONDS).
Reported per fault: kill → the rebuilt clip ready, p50/p95/max, over `KILLS` kills, and the time of an
undisturbed build on the same run for comparison. Goal (issue 12): p95 ≤ 30 s.
"""

from __future__ import annotations

import os
import signal
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

KILLS = 5
QUESTIONS = [
    "What is forgiveness?",
    "How do I find peace?",
    "What is love?",
    "Why do we suffer?",
    "What is hope?",
    "How should I pray?",
]


def run() -> dict[str, Any]:
    from django.conf import settings

    from aijesus.localredis import BundledRedis, redis_answers
    from aijesus.studio.seed import seed_studio
    from bench.studio import Studio

    seed_studio(owner="bench-owner")
    with tempfile.TemporaryDirectory(prefix="bench-recovery-") as tmp:
        root = Path(tmp)
        bundled = None
        redis_url = settings.REDIS_URL
        if not redis_answers(redis_url):
            bundled = BundledRedis(root / "redis")
            redis_url = bundled.start()
        studio = Studio(redis_url, root / "media", root / "logs")
        try:
            studio.worker(), studio.scheduler()
            baseline = _undisturbed(studio)
            child = [_kill_child(studio, i) for i in range(KILLS)]
            whole = [_kill_worker(studio, i) for i in range(KILLS)]
        finally:
            studio.stop_all()
            if bundled is not None:
                bundled.stop()
    return {
        "settings": {
            "heartbeat_s": settings.BUILD_HEARTBEAT_SECONDS,
            "stale_s": settings.BUILD_STALE_SECONDS,
            "reap_every_s": settings.BUILD_REAP_SECONDS,
            "size": f"{settings.STREAM_WIDTH}x{settings.STREAM_HEIGHT}@{settings.STREAM_FPS}",
        },
        "undisturbed_build_s": round(baseline, 2),
        "child_killed": _summary(child),
        "worker_killed_and_restarted": _summary(whole),
        "goal_p95_s": 30.0,
    }


def _summary(seconds: list[float]) -> dict[str, Any]:
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "kills": len(seconds),
        "p50_s": round(statistics.median(ordered), 2),
        "p95_s": round(p95, 2),
        "max_s": round(ordered[-1], 2),
        "each_s": [round(s, 2) for s in seconds],
    }


def _approve(text: str) -> int:
    from aijesus.studio.services import question_approve, question_submit

    return question_approve(question=question_submit(text=text, viewer_name="bench")).pk


def _clip(pk: int) -> Any:
    from aijesus.studio.models import Clip

    return Clip.objects.get(pk=pk)


def _mid_build(pk: int) -> bool:
    from aijesus.studio.models import Segment

    return Segment.objects.filter(clip_id=pk, attempt=1).exists()


def _undisturbed(studio: Any) -> float:
    pk = _approve("What is grace?")
    studio.wait_until(lambda: _clip(pk).status == "building", "the first build to start", timeout=300)
    started = time.monotonic()
    studio.wait_until(lambda: _clip(pk).status == "ready", "the first build to finish", timeout=300)
    return time.monotonic() - started


def _kill_child(studio: Any, i: int) -> float:
    pk = _approve(QUESTIONS[i % len(QUESTIONS)])
    studio.wait_until(lambda: _mid_build(pk), "a build to be under way", timeout=300)
    os.kill(int(_clip(pk).claimed_by.rpartition(":")[2]), signal.SIGKILL)
    killed = time.monotonic()
    studio.wait_until(lambda: _clip(pk).status == "ready", "the rebuilt clip", timeout=300)
    return time.monotonic() - killed


def _kill_worker(studio: Any, i: int) -> float:
    pk = _approve(QUESTIONS[(i + 1) % len(QUESTIONS)] + f" ({i})")
    studio.wait_until(lambda: _mid_build(pk), "a build to be under way", timeout=300)
    studio.kill("worker")
    killed = time.monotonic()
    studio.worker()
    studio.wait_until(lambda: _clip(pk).status == "ready", "the rebuilt clip", timeout=300)
    return time.monotonic() - killed
