"""`python -m bench stream_soak --faults --duration 24h`: the whole studio on air in real time for
the duration, questions approved at random moments, and the fault matrix's faults injected one at
a time at random moments (all seeded); then the recordings checked (bench.soak_check: 0 gaps, the
audio ending within a frame of the video) and every answer accounted for as in the matrix.

The studio is the matrix's (bench/faults/rig.py) with what a long run needs: MEDIA_STORAGE=s3 (an
in-process S3-protocol server that can stop) with the workers on a MEDIA_ROOT of their own, every
process on PostgreSQL through a proxy the bench can cut, a disk budget of a few answers with a
retention pass every minute (so the disk is over budget all along), a standby streamer always
running beside the one on air, and a low video bitrate so a day of recording fits on disk.

Faults (FAULTS, in a seeded random order, each once before any repeats): the build worker
SIGKILLed (a new one started at once), the streamer on air SIGKILLed (a new standby started),
Redis SIGKILLed and back empty after 5-20 s, the database cut for 30 s, the media store stopped
for 25 s, a waiting answer's segment files removed everywhere, an answer poisoned mid-build (it
raises when picked), the LLM dropping an answer mid-stream.
"""

from __future__ import annotations

import logging
import random
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.faults.heard import ENCODER, STAMP, stamp
from bench.faults.llm import ScriptedLLM
from bench.faults.outcome import finish
from bench.faults.proxy import CuttableProxy, database_proxy
from bench.faults.rig import Rig, row_studio
from bench.faults.rows_media import media_files, poison
from bench.faults.rows_process import QUESTIONS

# A streamer stops broadcasting: its encoder finished (stopping, or the lease lost) or it stood by.
_STOPPED = re.compile(
    STAMP + r"streamer\.(?:runner: encoder finished|lease: standing by|runner: standing by)", re.M
)
QUESTION_GAP_S = (15.0, 45.0)  # between approvals, uniform
FAULT_GAP_S = (30.0, 90.0)  # between the end of one fault and the next, uniform
BUDGET_MB = 4.0  # a few answers' worth of media
VIDEO_BITRATE = "150k"  # CBR: 24 h at the default 3000k would be 32 GB of recording


class Soak:
    def __init__(self, rig: Rig, rng: random.Random, proxy: CuttableProxy | None, s3: Any) -> None:
        self.rig, self.rng, self.proxy, self.s3 = rig, rng, proxy, s3
        self.injected: list[dict[str, Any]] = []
        self.refused: Counter[str] = Counter()  # approvals that failed (the database was down…)
        self.streamers = 0

    # -- the studio's streamers: one on air, one standing by
    def add_streamer(self, *, wait: bool) -> str:
        self.streamers += 1
        name = f"streamer-{self.streamers}"
        self.rig.streamer(name, wait=wait, args=("--video-bitrate", VIDEO_BITRATE))
        return name

    def broadcaster(self) -> str | None:
        """The live streamer broadcasting now: its last encoder started after it last stopped one
        or stood by (a standby has none until it takes over); the latest such, if several."""
        assert self.rig.studio is not None
        on = []
        for s in self.rig.streamers:
            process = self.rig.studio.processes.get(s.name)
            text = self.rig.log(s.name)
            starts = [stamp(m.group(1)) for m in ENCODER.finditer(text)]
            ends = [stamp(m.group(1)) for m in _STOPPED.finditer(text)]
            if (
                process is not None
                and process.poll() is None
                and starts
                and starts[-1] > max(ends, default=0)
            ):
                on.append((starts[-1], s.name))
        return max(on)[1] if on else None

    def _started_since(self, moment: float) -> tuple[float, str] | None:
        """The first encoder start after `moment` in any streamer's log, and whose."""
        starts = [
            (t, s.name)
            for s in self.rig.streamers
            for t in (stamp(m.group(1)) for m in ENCODER.finditer(self.rig.log(s.name)))
            if t > moment
        ]
        return min(starts) if starts else None

    # -- questions
    def ask(self, ticket: int | None = None) -> int | None:
        try:
            return self.rig.ask(self.rng.choice(QUESTIONS), ticket)
        except (RuntimeError, OSError) as exc:  # the database (or the broker) is down: the moderator waits
            self.refused[str(exc).splitlines()[0][:80]] += 1
            return None

    def waiting_clip(self) -> int | None:
        """With answers paused, a question approved and built: an answer waiting to air (the
        caller resumes answers). None if it was not built within a minute."""
        from bench.faults.rows_process import status_is

        self.rig.command("pause")
        clip = self.ask()
        if clip is None or not self.rig.wait(lambda: status_is(clip, "ready", "failed"), "a build", 60):
            return None
        return clip

    # -- faults
    def worker_kill(self) -> str:
        assert self.rig.studio is not None
        self.rig.kill("worker")
        self.rig.studio.worker(**self.rig.workers_env)
        return "worker and its pool child SIGKILLed; a new worker started"

    def streamer_kill(self) -> str:
        on_air = self.broadcaster()
        if on_air is None:
            return "no streamer on air to kill"
        killed = self.rig.kill(on_air)
        standby = self.add_streamer(wait=False)
        self.rig.wait(lambda: self._started_since(killed), "a takeover", 30)
        took = self._started_since(killed)
        after = f"{took[1]} on air {took[0] - killed:.1f} s later" if took else "no takeover in 30 s"
        return f"{on_air} SIGKILLed, {after}; {standby} started as the next standby"

    def broker_down(self) -> str:
        from aijesus.localredis import BundledRedis

        old = self.rig.redis
        old.process.kill()
        old.process.wait()
        seconds = self.rng.uniform(5, 20)
        self._outage(seconds)
        self.rig.redis = BundledRedis(self.rig.root / f"redis-{len(self.injected)}", port=old.port)
        self.rig.redis.start()
        return f"Redis SIGKILLed, back empty after {seconds:.0f} s"

    def database_down(self) -> str:
        if self.proxy is None:
            return "skipped: needs PostgreSQL"
        self.proxy.cut()
        self._outage(30)
        self.proxy.restore()
        return "database cut for 30 s"

    def media_store_down(self) -> str:
        self.s3.stop()
        self._outage(25)
        self.s3.start()
        return "media store stopped for 25 s"

    def segment_files_removed(self) -> str:
        clip = self.waiting_clip()
        if clip is not None:
            names = [p.relative_to(self.rig.root / "media").as_posix() for p in media_files(self.rig, clip)]
            client = self.s3.client()
            for name in names:
                for folder in ("media", "gpu-box"):
                    (self.rig.root / folder / name).unlink(missing_ok=True)
                client.delete_object(Bucket=self.s3.bucket, Key=f"studio/{name}")
        self.rig.command("resume")
        if clip is None:
            return "no answer built to remove the files of"
        return f"clip {clip}: {len(names)} segment files removed from the store and both disks"

    def poison_clip(self) -> str:
        """An answer poisoned once its build has read its persona version (the LLM holds the
        answer meanwhile) and before the playout can pick it: the build succeeds, every pick
        raises."""
        from bench.faults.rows_process import status_is

        ticket = self.rig.ticket()
        gate = self.rig.llm.hold(ticket, silent=True)
        clip = self.ask(ticket)
        building = clip is not None and self.rig.wait(lambda: status_is(clip, "building"), "the build", 60)
        if building:
            poison(clip)
        gate.set()
        return f"clip {clip} poisoned mid-build" if building else f"clip {clip}: no build to poison"

    def llm_drop(self) -> str:
        ticket = self.rig.ticket()
        gate = self.rig.llm.hold(ticket, cut=True)
        clip = self.ask(ticket)
        self.rig.wait(lambda: False, "the answer to be under way", self.rng.uniform(2, 6))
        gate.set()
        return f"clip {clip}: the LLM dropped its answer mid-stream"

    def _outage(self, seconds: float) -> None:
        self.rig.wait(lambda: False, "the outage to end", seconds)

    def inject(self, name: str) -> None:
        started = time.time()
        try:
            what = getattr(self, name)()
        except (RuntimeError, OSError, subprocess.SubprocessError) as exc:  # the soak goes on
            what = f"could not inject: {type(exc).__name__}: {str(exc)[:200]}"
        self.injected.append(
            {"fault": name, "at_s": round(started - self.rig.marks["start"], 1), "what": what}
        )
        print(f"bench stream_soak: {name}: {what}", file=sys.stderr)


FAULTS: tuple[str, ...] = (
    "worker_kill",
    "streamer_kill",
    "broker_down",
    "database_down",
    "media_store_down",
    "segment_files_removed",
    "poison_clip",
    "llm_drop",
)


def run(duration_s: float, seed: int) -> dict[str, Any]:
    """The soak; the figures as the matrix reports a row, plus the recordings' checks."""
    from bench.faults import persona_answers_from
    from tests.mediastore.s3server import s3_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the S3 server's line per request
    llm = ScriptedLLM().start()
    persona_answers_from(llm.url)
    root = Path(tempfile.mkdtemp(prefix="bench-soak-faults-"))
    env: dict[str, str] = {"MEDIA_MAX_GB": f"{BUDGET_MB / 1024:.6f}", "MEDIA_RETENTION_MINUTES": "1"}
    proxy = None
    if (proxied := database_proxy()) is not None:
        proxy, env["DATABASE_URL"] = proxied
    rng = random.Random(seed)
    try:
        with s3_server() as s3, row_studio(
            "soak", root, llm, workers_env={"MEDIA_ROOT": str(root / "gpu-box")}, **s3.env(), **env
        ) as rig:  # fmt: skip
            soak = Soak(rig, rng, proxy, s3)
            soak.add_streamer(wait=True)
            soak.add_streamer(wait=False)
            _loop(soak, duration_s, rng)
            out = finish(rig, 180)
    finally:
        llm.stop()
        if proxy is not None:
            proxy.stop()
    return _report(out, soak, duration_s, seed, root)


def _faults(rng: random.Random) -> Iterator[str]:
    """The faults in random order, every one once before any comes again (a short run sees them
    all; a long one, each about as often)."""
    while True:
        deck = list(FAULTS)
        rng.shuffle(deck)
        yield from deck


def _loop(soak: Soak, duration_s: float, rng: random.Random) -> None:
    faults = _faults(rng)
    start = time.monotonic()
    next_question = start + rng.uniform(*QUESTION_GAP_S) / 3
    next_fault = start + rng.uniform(*FAULT_GAP_S)
    while (now := time.monotonic()) < start + duration_s:
        if now >= next_question:
            soak.ask()
            next_question = time.monotonic() + rng.uniform(*QUESTION_GAP_S)
        elif now >= next_fault:
            soak.inject(next(faults))
            next_fault = time.monotonic() + rng.uniform(*FAULT_GAP_S)
        else:
            soak.rig.wait(lambda: False, "the next event", min(next_question, next_fault) - now)


def _report(out: dict[str, Any], soak: Soak, duration_s: float, seed: int, root: Path) -> dict[str, Any]:
    from bench.faults.rig import STUDIO_ENV

    frame_ms = 1000 / int(STUDIO_ENV["STREAM_FPS"])
    recordings = [r | {"streamer": s["streamer"]} for s in out["streamers"] for r in s["recordings"]]
    drifts = [abs(r["end_drift_ms"]) for r in recordings if "end_drift_ms" in r]
    gaps = sum(r.get("video_gaps", 0) + r.get("audio_gaps", 0) for r in recordings)
    return {
        "duration_s": duration_s,
        "seed": seed,
        "faults_injected": soak.injected,
        "faults_count": dict(Counter(f["fault"] for f in soak.injected)),
        "approvals_refused": dict(soak.refused),
        "recordings": recordings,
        "recorded_s": round(sum(r.get("seconds", 0) for r in recordings), 1),
        "gaps": gaps,
        "max_end_drift_ms": max(drifts, default=None),
        "goals": {"gaps": 0, "end_drift_ms": frame_ms},
        "met": {
            "no_gaps": gaps == 0 and all("error" not in r for r in recordings),
            "drift_within_a_frame": bool(drifts) and max(drifts) <= frame_ms,
            "nothing_aired_twice": out["aired_twice"] == 0,
            "nothing_counted_unheard": out["counted_unheard"] == 0,
            "nothing_stuck": out["stuck"] == 0,
        },
        **{k: v for k, v in out.items() if k not in ("streamers", "airings", "clips")},
        # A day of answers is thousands of rows: only those that did not air once.
        "clips_not_aired_once": [c for c in out["clips"] if c["outcome"] != "aired_once"],
        "root": str(root),
    }
