"""Rows where a service the studio needs goes away and comes back: Redis (the broker, commands,
notices), PostgreSQL (through a proxy the bench cuts) and the S3 media store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.faults.llm import ScriptedLLM
from bench.faults.outcome import finish
from bench.faults.proxy import database_proxy
from bench.faults.rig import Rig, row_studio
from bench.faults.rows_process import BUILD_WAIT_S, QUESTIONS, first_segment, held_first, status_is

BROKER_DOWN_S = 20.0
DATABASE_DOWN_S = 30.0
STORE_DOWN_S = 25.0  # past MEDIA_STORE_RETRY_SECONDS (20 s): the waits on the store give up


def _outage(rig: Rig, seconds: float) -> None:
    """Let `seconds` pass, noting which answers settle meanwhile."""
    rig.wait(lambda: False, "the outage to end", seconds)


def broker_down(root: Path, llm: ScriptedLLM) -> dict[str, Any]:
    """Redis SIGKILLed mid-build (everything it held is lost); a question approved while it is
    down; Redis back empty on the same port after BROKER_DOWN_S; one more question."""
    from aijesus.localredis import BundledRedis

    with row_studio("broker_down", root, llm) as rig:
        rig.streamer()
        first, gate = held_first(rig, QUESTIONS[0])
        rig.expect(lambda: first_segment(first), "attempt 1's first segment", BUILD_WAIT_S)
        rig.mark("fault")
        old = rig.redis
        old.process.kill()
        old.process.wait()
        rig.ask(QUESTIONS[1])  # approved while the broker is down
        gate.set()
        _outage(rig, BROKER_DOWN_S)
        rig.redis = BundledRedis(root / "redis-2", port=old.port)
        rig.redis.start()
        rig.mark("restored")
        rig.ask(QUESTIONS[2])
        return finish(rig, 240)


def database_down(root: Path, llm: ScriptedLLM) -> dict[str, Any]:
    """Every studio process reaches PostgreSQL through a proxy. With the first answer on air, the
    second mid-build (its LLM answer held, let go as the database goes) and the third queued, the
    proxy drops every connection and refuses new ones for DATABASE_DOWN_S (three heartbeat
    windows), then lets them through again."""
    proxied = database_proxy()
    if proxied is None:
        return {"skipped": "needs PostgreSQL (DATABASE_URL=postgres://…)"}
    proxy, through = proxied
    try:
        with row_studio("database_down", root, llm, DATABASE_URL=through) as rig:
            rig.streamer()
            rig.command("pause")  # all three approved before the first airs
            first = rig.ask(QUESTIONS[0])
            rig.expect(lambda: status_is(first, "ready"), "the first answer built", BUILD_WAIT_S)
            second, gate = held_first(rig, QUESTIONS[1])
            rig.ask(QUESTIONS[2])
            rig.expect(lambda: first_segment(second), "the second answer's first segment", BUILD_WAIT_S)
            rig.command("resume")
            rig.expect(lambda: rig.on_air(first), "the first answer on air", 60)
            rig.mark("fault")
            proxy.cut()
            gate.set()
            _outage(rig, DATABASE_DOWN_S)
            proxy.restore()
            rig.mark("restored")
            out = finish(rig, 240)
    finally:
        proxy.stop()
    out["note"] = f"{proxy.connections} connections through the proxy"
    return out


def media_store_down(root: Path, llm: ScriptedLLM) -> dict[str, Any]:
    """MEDIA_STORAGE=s3 on an S3-protocol server (moto, in this process: it keeps its objects
    across a stop), the workers on a MEDIA_ROOT of their own as on another machine. The store
    stops mid-build for STORE_DOWN_S; a question is approved meanwhile, one more after."""
    import logging

    from tests.mediastore.s3server import s3_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the S3 server's line per request
    with s3_server() as s3:
        gpu_box = str(root / "gpu-box")
        with row_studio(
            "media_store_down", root, llm, workers_env={"MEDIA_ROOT": gpu_box}, **s3.env()
        ) as rig:
            rig.streamer()
            first, gate = held_first(rig, QUESTIONS[0])
            rig.expect(lambda: first_segment(first), "attempt 1's first segment", BUILD_WAIT_S)
            rig.mark("fault")
            s3.stop()
            gate.set()
            rig.ask(QUESTIONS[1])
            _outage(rig, STORE_DOWN_S)
            s3.start()
            rig.mark("restored")
            rig.ask(QUESTIONS[2])
            return finish(rig, 240)
