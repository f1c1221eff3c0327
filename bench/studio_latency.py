"""What a moderator gets from `make run`: approval → the answer's first frame on air, with the
whole studio running as `make run` starts it and a logged-in dashboard open in Chromium.

The processes are the Procfile's (daphne, a prefork worker with one child on both queues, celery
beat, `manage.py stream` with its defaults: HLS preview, 1280x720@30, and any line added there
since) against the throw-away database and a Redis of their own. Once the worker is ready and
the dashboard live, one question is built before the streamer starts (its build speed is the
idle figure) and then airs as the stream's first answer, warming the path end to end. Then each
question is submitted as chat would (`question_submit` in this process), shows up in the open
dashboard through its websocket, and is approved by clicking its Approve button. The next
question comes once the previous answer has aired whole, after a seeded random pause, so every
answer finds the stream idle and runs compare.

Reported per run: approval (Clip.created_at) → first frame on air (Clip.first_aired_at) p50/p95/
max; underruns (the streamer's health counter, in frames; per answer from the state polled while
it aired); each clip's build speed over real time while the stream runs; CPU cores per process
tree from /proc over the measured window; the idle build above, and `python -m bench clip_build`
run first on the same machine with no studio. Goals (issue 13): p50 ≤ 1.5 s, p95 ≤ 3 s.

Environment: STUDIO_LATENCY_QUESTIONS (20), STUDIO_LATENCY_PAUSE ("2,8": seconds after the
previous answer aired, uniform), STUDIO_LATENCY_SEED (13), STUDIO_LATENCY_HOG ("0"; "1": with a
busy loop pinned to one core, about half of a quiet 2-core machine; "pin": the studio, its
browser and this process held to one core, half the machine however busy the rest of it is;
"both": normal and hog; "all": all three),
STUDIO_LATENCY_CLIP_BENCH ("1"; "0" skips clip_build), STUDIO_LATENCY_STORE ("1": after the
runs above, one more with MEDIA_STORAGE=s3 against an S3-protocol server on this machine and the
workers on a MEDIA_ROOT of their own, as a GPU worker elsewhere is; "0" skips it). The store's
extra approval → on air time is reported against the "normal" run of the same invocation (goal,
issue 16: ≤ 0.3 s at p50).
"""

from __future__ import annotations

import contextlib
import math
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import cpu
from bench.studio_watch import Watch, aired_or_failed, built, clip_rows

USERNAME, PASSWORD = "latency-moderator", "bench-latency-pw-13"
WARM_UP = "What is the kingdom of heaven like?"
QUESTIONS = [
    "What is forgiveness?",
    "How do I find peace?",
    "What is love?",
    "Why do we suffer?",
    "What is hope?",
    "How should I pray?",
    "Who is my neighbour?",
    "What does it mean to be humble?",
    "How can I stop worrying?",
    "What is faith?",
    "Why should I forgive my enemies?",
    "What is the greatest commandment?",
    "How do I help the poor?",
    "What happens when we die?",
    "Are you the light of the world?",
    "What is the meaning of the lost sheep?",
    "How should I treat strangers?",
    "What is true wealth?",
    "Why did you speak in parables?",
    "How can I be a good friend?",
    "What is mercy?",
    "Should I judge others?",
    "What is the bread of life?",
    "How do I begin again?",
]
GOALS = {"approval_to_on_air_p50_s": 1.5, "approval_to_on_air_p95_s": 3.0, "s3_store_extra_p50_s": 0.3}
CLIP_TIMEOUT_S = 300.0  # a build, its airing (~30 s) and slack on a slowed machine


@dataclass(frozen=True)
class Options:
    questions: int
    pause_s: tuple[float, float]
    seed: int
    runs: tuple[str, ...]  # "normal", "with_hog", "one_core", "s3_store"
    clip_bench: bool

    @classmethod
    def from_env(cls) -> Options:
        low, high = (float(v) for v in os.environ.get("STUDIO_LATENCY_PAUSE", "2,8").split(","))
        hog = os.environ.get("STUDIO_LATENCY_HOG", "0").strip().lower()
        runs = {
            "0": ("normal",),
            "": ("normal",),
            "1": ("with_hog",),
            "pin": ("one_core",),
            "both": ("normal", "with_hog"),
            "all": ("normal", "with_hog", "one_core"),
        }
        if hog not in runs:
            raise ValueError(f"STUDIO_LATENCY_HOG={hog!r}: one of 0, 1, pin, both, all")
        return cls(
            questions=int(os.environ.get("STUDIO_LATENCY_QUESTIONS", "20")),
            pause_s=(low, high),
            seed=int(os.environ.get("STUDIO_LATENCY_SEED", "13")),
            runs=runs[hog] + (("s3_store",) if os.environ.get("STUDIO_LATENCY_STORE", "1") != "0" else ()),
            clip_bench=os.environ.get("STUDIO_LATENCY_CLIP_BENCH", "1") != "0",
        )


def run() -> dict[str, Any]:
    from django.conf import settings

    opts = Options.from_env()
    _moderator()
    result: dict[str, Any] = {
        "settings": {
            "stream": f"{settings.STREAM_WIDTH}x{settings.STREAM_HEIGHT}@{settings.STREAM_FPS}",
            "stream_output": settings.STREAM_OUTPUT,
            "questions": opts.questions,
            "pace": f"next question {opts.pause_s[0]:g}-{opts.pause_s[1]:g} s after the previous answer"
            f" aired (uniform, seed {opts.seed})",
            "approval": "clicked in the dashboard (headless Chromium); questions submitted in-process"
            " with question_submit, as chat does",
            "source": _source(),
        },
    }
    for mode in opts.runs:
        result[mode] = _session(opts, mode)
    if "normal" in result and "s3_store" in result:
        result["s3_store_extra"] = _store_extra(result["normal"], result["s3_store"])
    result["goals"] = GOALS
    return result


def _store_extra(local: dict[str, Any], store: dict[str, Any]) -> dict[str, Any]:
    """Approval → on air with the S3 store, against the local folder, measured in one invocation."""
    extra: dict[str, Any] = {}
    for stat in ("p50", "p95"):
        a, b = local["approval_to_on_air_s"].get(stat), store["approval_to_on_air_s"].get(stat)
        extra[f"{stat}_s"] = None if a is None or b is None else round(b - a, 3)
        extra[f"{stat}_ratio"] = None if not a or b is None else round(b / a, 2)
    return extra


def _source() -> dict[str, Any]:
    """The commit measured and how many files differ from it: the studio changes under way."""
    from bench.studio import ROOT

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=30)
        return done.stdout.strip() if done.returncode == 0 else ""

    changed = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": git("rev-parse", "--short", "HEAD") or None, "files_changed": len(changed.splitlines())}


def _moderator() -> None:
    """The persona, avatar and moderator group of a fresh studio, and a moderator whose password
    the browser knows."""
    from django.contrib.auth import get_user_model

    from aijesus.studio.roles import ensure_moderator_group
    from aijesus.studio.seed import seed_studio

    seed_studio(owner="bench-owner")
    user, _ = get_user_model().objects.get_or_create(username=USERNAME)
    user.set_password(PASSWORD)
    user.save()
    user.groups.add(ensure_moderator_group())


# -- one run: the studio up, a warm-up answer, the measured answers, the figures


def _session(opts: Options, mode: str) -> dict[str, Any]:
    from aijesus.localredis import BundledRedis
    from bench.studio import ROOT, Studio

    with tempfile.TemporaryDirectory(prefix="bench-studio-latency-") as tmp, contextlib.ExitStack() as stack:
        root = Path(tmp)
        hog_process = cpu.start_hog() if mode == "with_hog" else None
        if hog_process is not None:
            stack.callback(_end, hog_process)
        if mode == "one_core":
            stack.callback(cpu.hold_to_one_core())
        clip_bench = _clip_bench() if opts.clip_bench else None
        # A Redis of its own: other work on this machine runs workers on the same queue names.
        redis = BundledRedis(root / "redis")
        redis_url = redis.start()
        stack.callback(redis.stop)
        store: dict[str, str] = {}
        if mode == "s3_store":
            from bench.store import s3_store

            store = stack.enter_context(s3_store(root / "logs"))
        studio = Studio(redis_url, root / "media", root / "logs", DATA_DIR=str(root / "data"), **store)
        stack.callback(studio.stop_all)
        stack.enter_context(_this_process_on(redis_url, studio.env["CHANNELS_PREFIX"]))
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
            cwd=ROOT, env=studio.env, check=True, capture_output=True,
        )  # fmt: skip
        # With the store, the workers are "another machine": a MEDIA_ROOT of their own.
        elsewhere = {"MEDIA_ROOT": str(root / "gpu-box")} if store else {}
        watch, idle_clip, commands, ready_s = _bring_up(studio, stack, redis_url, elsewhere)

        roots = _roots(studio, watch.dash, redis, hog_process)
        before, busy_before, bench_before = cpu.snapshot(), cpu.busy_seconds(), _own_cpu()
        window_start, load_before = time.monotonic(), os.getloadavg()[0]
        watch.reset()
        rng = random.Random(opts.seed)
        clips = []
        for i in range(opts.questions):
            clip = watch.approve(QUESTIONS[i % len(QUESTIONS)], f"viewer{i}")
            watch.wait(lambda clip=clip: aired_or_failed(clip), f"clip {clip} to air", CLIP_TIMEOUT_S)
            clips.append(clip)
            if i + 1 < opts.questions:
                watch.pause(rng.uniform(*opts.pause_s))
        wall = time.monotonic() - window_start
        after, busy_after, bench_after = cpu.snapshot(), cpu.busy_seconds(), _own_cpu()

        rows = watch.db.submit(clip_rows, [idle_clip, *clips]).result()
        errors = list(watch.dash.errors)
    _wait_for_sessions_to_end()
    idle_row, rows = rows[0], rows[1:]
    for row in rows:
        row["underrun_frames"] = watch.underruns_by_clip.get(row["clip"], 0)
    usage = _cpu_usage(before, after, roots, wall)
    usage["bench_harness"] = round((bench_after - bench_before) / wall, 3)
    ours = usage["bench_harness"] + sum(usage[name]["cores"] or 0 for name in roots)
    usage["machine_busy"] = round((busy_after - busy_before) / wall, 3)
    usage["other_work_on_the_machine"] = round(usage["machine_busy"] - ours, 3)
    usage["load_average_1m_start_end"] = [round(load_before, 1), round(os.getloadavg()[0], 1)]
    return {
        "mode": mode,
        "processes": commands,
        "start_to_ready_s": round(ready_s, 1),
        "idle_build": {
            "clip": idle_row,
            "clip_build_bench": clip_bench,
        },
        "window_s": round(wall, 1),
        "answers": len(rows),
        "failed": [row["clip"] for row in rows if row["status"] != "ready"],
        "approval_to_on_air_s": _summary([r["approval_to_on_air_s"] for r in rows]),
        "approval_to_build_start_s": _summary([r["approval_to_build_start_s"] for r in rows]),
        "first_segment_s": _summary([r["first_segment_s"] for r in rows]),
        "realtime_factor": _summary([r["realtime_factor"] for r in rows], low=True),
        "aired_while_building": sum(bool(r["aired_while_building"]) for r in rows),
        "underruns": {
            "frames": watch.underruns_total,
            "seconds": round(watch.underruns_total / watch.fps, 2) if watch.fps else None,
            "answers_with_underruns": sum(1 for r in rows if r["underrun_frames"]),
        },
        "stream_health": watch.health(),
        "cpu_cores": usage,
        "page_errors": errors,
        "clips": rows,
    }


def _bring_up(
    studio: Any, stack: contextlib.ExitStack, redis_url: str, elsewhere: dict[str, str]
) -> tuple[Watch, int, dict[str, str], float]:
    """The studio up and warm, the dashboard open. Before the streamer starts, one question is
    built with nothing else on air: its build speed is the idle figure this run compares with.
    It then airs as the streamer's first answer, which warms the path from approval to air.
    Returns the watch, that clip, the command lines and the seconds from start to warm."""
    from bench.browser import Dashboard
    from streamer.control import redis_client

    port = _free_port()
    started = time.monotonic()
    commands = _start_procfile(studio, port, without={"streamer"}, workers_env=elsewhere)
    studio.wait_until(lambda: _listening(port), "the dashboard to listen", timeout=180)
    studio.wait_until(lambda: "ready." in _log(studio, "worker"), "the worker to be ready", timeout=300)
    # The browser's event loop owns this thread: the ORM works in a thread of its own.
    db = ThreadPoolExecutor(1, thread_name_prefix="bench-db")
    stack.callback(_close_db_thread, db)
    dash = stack.enter_context(Dashboard(f"http://127.0.0.1:{port}", USERNAME, PASSWORD, timeout_s=120))
    client = redis_client(redis_url)
    watch = Watch(studio, dash, db, client)
    idle_clip = watch.approve(WARM_UP, "warm-up")
    watch.wait(lambda: built(idle_clip), f"clip {idle_clip} to be built", CLIP_TIMEOUT_S)
    commands |= _start_procfile(studio, port, only={"streamer"})
    watch.wait(lambda: _on_air(client), "the streamer to be on air", 300)
    watch.wait(lambda: aired_or_failed(idle_clip), f"clip {idle_clip} to air", CLIP_TIMEOUT_S)
    return watch, idle_clip, commands, time.monotonic() - started


def _close_db_thread(db: ThreadPoolExecutor) -> None:
    from django.db import connections

    db.submit(connections.close_all).result()
    db.shutdown()


def _wait_for_sessions_to_end(timeout: float = 15.0) -> None:
    """PostgreSQL drops a stopped process's session a moment after it exits; the throw-away
    database can be dropped only once they are all gone."""
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
            time.sleep(0.2)


# -- processes, CPU, helpers


@contextlib.contextmanager
def _this_process_on(redis_url: str, prefix: str) -> Iterator[None]:
    """This process's dashboard notices and stream-state reads go to the studio's Redis and
    channel prefix (read at call time; Channels drops its cached layer on the change)."""
    from django.conf import settings
    from django.test import override_settings

    layers = {"default": {**settings.CHANNEL_LAYERS["default"]}}
    layers["default"]["CONFIG"] = {**layers["default"]["CONFIG"], "hosts": [redis_url], "prefix": prefix}
    with override_settings(REDIS_URL=redis_url, CHANNEL_LAYERS=layers):
        yield


def _start_procfile(studio: Any, port: int, *, only: set[str] | None = None,
                    without: frozenset[str] | set[str] = frozenset(),
                    workers_env: dict[str, str] | None = None) -> dict[str, str]:  # fmt: skip
    """Every process of the Procfile, as `make run` starts them; returns name → command line.

    The four known ones go through bench/studio.py (the same command lines; the worker gets a
    unique node name, the scheduler keeps its schedule file out of the repository); any other
    line (one added since) runs as written, through the shell as honcho runs it, with the
    virtual environment first on PATH as `manage.py studio` sets it.
    """
    from bench.studio import ROOT

    started: dict[str, str] = {}
    studio.env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
    for line in (ROOT / "Procfile").read_text().splitlines():
        name, _, command = line.partition(":")
        name, command = name.strip(), command.strip()
        if not name or name.startswith("#") or not command:
            continue
        if name in without or (only is not None and name not in only):
            continue
        if name == "web":
            studio.web(port)
        elif name == "worker":
            studio.worker(**(workers_env or {}))
        elif name == "scheduler":
            studio.scheduler()
        else:
            # exec: the process we hold (and measure) is the command itself, not a shell.
            own = (workers_env or {}) if name == "library" else {}
            studio.start(name, ["/bin/sh", "-c", f"exec {command}"], **own)
        started[name] = " ".join(studio.processes[name].args)
    return started


def _roots(studio: Any, dash: Any, redis: Any, hog: subprocess.Popen | None) -> dict[str, int]:
    roots = {name: process.pid for name, process in studio.processes.items()}
    browser = dash.browser_pid()
    if browser is not None:
        roots["chromium"] = browser
        roots["playwright_driver"] = cpu.snapshot()[browser].ppid
    roots["redis"] = redis.process.pid
    if hog is not None:
        roots["hog"] = hog.pid
    return roots


def _cpu_usage(before: dict[int, cpu.Proc], after: dict[int, cpu.Proc], roots: dict[str, int],
               wall: float) -> dict[str, Any]:  # fmt: skip
    """Cores per process tree over the window: the main process and its children apart."""
    usage: dict[str, Any] = {}
    for name, pid in roots.items():
        if pid not in after:
            usage[name] = {"cores": None, "note": "exited during the window"}
            continue
        main = after[pid].own - before[pid].own
        if name == "playwright_driver":  # its only child is the browser, reported on its own
            usage[name] = {"cores": round(main / wall, 3)}
            continue
        total = cpu.tree_seconds(after, pid) - cpu.tree_seconds(before, pid)
        children = sorted({after[p].name for p in cpu.tree(after, pid)} - {after[pid].name})
        usage[name] = {
            "cores": round(total / wall, 3),
            "main_cores": round(main / wall, 3),
            "children_cores": round((total - main) / wall, 3),
            "processes": len(cpu.tree(after, pid)),
            **({"children": children} if children else {}),
        }
    others = {"chromium", "playwright_driver", "redis", "hog"}
    usage["studio_total"] = round(sum(usage[n]["cores"] or 0 for n in roots if n not in others), 3)
    return usage


def _own_cpu() -> float:
    times = os.times()
    return times.user + times.system


def _clip_bench() -> dict[str, Any]:
    """`python -m bench clip_build` on this machine now, with no studio running (the hog or the
    one-core hold of this run applies): the builder in this process, at its own format."""
    from bench import clip

    try:
        figures = clip.run()
    except Exception as exc:  # noqa: BLE001 — the builder is being changed; the studio figures still count
        return {"error": f"{type(exc).__name__}: {exc}"}
    keys = ("format", "audio_seconds", "first_segment_s", "total_s", "realtime_factor")
    return {key: figures.get(key) for key in keys}


def _summary(values: list[float | None], *, low: bool = False) -> dict[str, Any]:
    """p50, p95 (nearest rank) and max; for a speed (low=True), the slowest instead of the max."""
    got = sorted(v for v in values if v is not None)
    if not got:
        return {"n": 0}
    p95 = got[max(0, math.ceil(0.95 * len(got)) - 1)]
    figures = {"n": len(got), "p50": round(statistics.median(got), 3)}
    if low:
        p5 = got[max(0, math.ceil(0.05 * len(got)) - 1)]
        return {**figures, "p5": p5, "min": got[0], "max": got[-1]}
    return {**figures, "p95": p95, "max": got[-1]}


def _log(studio: Any, name: str) -> str:
    path = studio.logs / f"{name}.log"
    return path.read_text(errors="replace") if path.exists() else ""


def _on_air(client: Any) -> bool:
    from streamer.state import read_state

    return bool((read_state(client) or {}).get("on_air"))


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _end(process: subprocess.Popen) -> None:
    process.kill()
    process.wait()
