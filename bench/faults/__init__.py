"""The fault matrix (issue 24): the whole studio as `make run` starts it (bench/studio.py: a prefork
worker on both queues, the library worker, the scheduler, `manage.py stream`), one fault per row,
a few answers each, on a fresh Redis, media folder and set of processes per row, against one
throw-away database (use PostgreSQL: the database row needs it).

Each row reports the answers approved and what became of them at the end, from the database (the
clips' `aired_count`, status and reason, their questions' status) checked against what each
streamer really put on air (its FLV recording and log, bench/faults/heard.py): aired once, aired
twice (goal 0), counted without being heard (goal 0), failed with a reason, stuck (goal 0), and
the time to recover. See bench/faults/outcome.py for the definitions.

The rows measure whatever the studio does now: a row whose remedy is not built yet reports the
bad numbers. Answers come from a local OpenAI-compatible server (the fault tests' own) that holds
or cuts the answer to a chosen question, so "mid-build" is a state, not a guess.

Run: `DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_faults python -m bench faults`
(about 15 minutes on 2 cores); one row or a few: `… python -m bench faults --only worker_kill,llm_drop`
or FAULTS_ONLY. FAULTS_KEEP=1 keeps each row's logs and recordings (the path is printed).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.faults import rows_media, rows_outage, rows_process
from bench.faults.llm import ScriptedLLM
from bench.faults.table import markdown

Row = Callable[[Path, ScriptedLLM], dict[str, Any]]
ROWS: dict[str, tuple[str, Row]] = {
    "control": ("no fault (control)", rows_process.control),
    "worker_kill": ("worker SIGKILL mid-build", rows_process.worker_kill),
    "streamer_kill_standby": (
        "streamer SIGKILL mid-answer, a standby running",
        rows_process.streamer_kill_standby,
    ),
    "two_streamers": ("two streamers", rows_process.two_streamers),
    "broker_down": ("broker (Redis) down 20 s, SIGKILL", rows_outage.broker_down),
    "database_down": ("database down 30 s", rows_outage.database_down),
    "media_store_down": ("media store (S3) down 25 s", rows_outage.media_store_down),
    "segment_files_removed": ("a ready clip's segment files removed", rows_media.segment_files_removed),
    "poison_clip": ("a poison clip (raises on every pick)", rows_media.poison_clip),
    "disk_over_budget": ("disk over budget", rows_media.disk_over_budget),
    "llm_drop": ("LLM drops mid-answer, on air", rows_process.llm_drop),
}


def run() -> dict[str, Any]:
    from django.conf import settings
    from django.db import connection

    only = [n for n in os.environ.get("FAULTS_ONLY", "").replace(" ", ",").split(",") if n]
    unknown = set(only) - set(ROWS)
    if unknown:
        raise SystemExit(f"unknown fault rows {sorted(unknown)}; rows: {', '.join(ROWS)}")
    llm = ScriptedLLM().start()
    persona_answers_from(llm.url)
    results = []
    try:
        for name in only or list(ROWS):
            results.append(_row(name, llm))
    finally:
        llm.stop()
    table = markdown(results)
    print(table, file=sys.stderr)
    return {
        "settings": {
            "database": connection.vendor,
            "stream": "320x180@25, recorded to FLV per streamer process",
            "liveness": {
                "heartbeat_s": settings.BUILD_HEARTBEAT_SECONDS,
                "stale_s": settings.BUILD_STALE_SECONDS,
                "reap_every_s": settings.BUILD_REAP_SECONDS,
                "max_attempts": settings.BUILD_MAX_ATTEMPTS,
            },
        },
        "rows": results,
        "table": table,
    }


def _row(name: str, llm: ScriptedLLM) -> dict[str, Any]:
    fault, body = ROWS[name]
    print(f"bench faults: {name}…", file=sys.stderr)
    _clear_previous()
    root = Path(tempfile.mkdtemp(prefix=f"bench-faults-{name}-"))
    started = time.monotonic()
    try:
        out = body(root, llm)
    except Exception as exc:  # noqa: BLE001 — one broken row must not lose the others
        error = f"{type(exc).__name__}: {exc}"
        if len(error) > 2000:  # a child's traceback: its head says what failed, its tail why
            error = f"{error[:300]} … {error[-1500:]}"
        out = {"error": error, "traceback": traceback.format_exc()[-3000:]}
    finally:
        llm.release_all()
    out = {"row": name, "fault": fault, **out, "row_seconds": round(time.monotonic() - started, 1)}
    if os.environ.get("FAULTS_KEEP") == "1":
        out["kept"] = str(root)
    else:
        shutil.rmtree(root, ignore_errors=True)
    brief = {k: out.get(k) for k in ("approved", "aired_once", "aired_twice", "counted_unheard", "stuck",
                                      "recover_s", "error")}  # fmt: skip
    print(f"bench faults: {name}: {brief}", file=sys.stderr)
    return out


def persona_answers_from(url: str) -> None:
    """The seeded persona answers through the scripted local endpoint."""
    from aijesus.studio.models import Persona
    from aijesus.studio.seed import seed_studio

    seed_studio(owner="bench-owner")
    persona = Persona.objects.active()
    assert persona is not None
    persona.llm = {"engine": "openai", "base_url": url, "model": "test-model", "max_tokens": 180}
    persona.save()
    persona.save_version(note="the fault matrix answers through a local endpoint")


def _clear_previous() -> None:
    """Rows do not share answers: what an earlier row left queued, building or unaired would be
    built or aired by the next row's processes. Housekeeping between experiments, so written
    directly: cancelled if unfinished, and hidden (deleted_at) from the playout and the reaper."""
    from django.db import close_old_connections
    from django.utils import timezone

    from aijesus.studio.models import Clip

    close_old_connections()
    Clip.objects.filter(status__in=["queued", "building"]).update(status="cancelled")
    Clip.objects.filter(deleted_at=None).update(
        deleted_at=timezone.now(), delete_reason="bench faults: earlier row"
    )
