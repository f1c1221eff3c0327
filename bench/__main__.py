"""Run the benchmarks and print their figures as one JSON document (`make bench`).

`python -m bench [NAME ...]` runs only the named ones. Those that touch the database get a
throw-away test database of whatever DATABASE_URL names.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from collections.abc import Callable
from typing import Any


def machine() -> dict[str, Any]:
    return {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count()}


def registry() -> list[tuple[str, Callable[[], dict[str, Any]], bool]]:
    """(name, run, needs the database)."""
    from bench import (
        chat_ingest,
        clip,
        dashboard_fanout,
        faults,
        history,
        ingest,
        lipsync,
        lipsync_musetalk,
        neural_voice,
        recovery,
        stream_soak,
        studio_latency,
        voice,
    )
    from streamer import bench as stream

    return [
        ("question_submit", ingest.run, True),
        ("chat_ingest", chat_ingest.run, True),
        ("answer_and_voice", voice.run, False),
        ("voice", neural_voice.run, False),
        ("clip_build", clip.run, False),
        ("lipsync", lipsync.run, False),
        ("lipsync_musetalk", lipsync_musetalk.run, False),
        ("stream_cpu", stream.run, False),
        ("build_recovery", recovery.run, True),
        ("dashboard_fanout", dashboard_fanout.run, True),
        ("stream_soak", stream_soak.run, True),
        ("studio_latency", studio_latency.run, True),
        ("history", history.run, False),  # a PostgreSQL database of its own (bench/history.py)
        ("faults", faults.run, True),
    ]


def main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aijesus.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    argv = _options(_engine_flag(argv))
    chosen = [entry for entry in registry() if not argv or entry[0] in argv]
    test_db = None
    if any(needs_db for _, _, needs_db in chosen):
        setup_test_environment()
        test_db = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    results = []
    try:
        for name, run, _ in chosen:
            print(f"bench: {name}…", file=sys.stderr)
            started = time.perf_counter()
            figures = run()
            results.append({"name": name, "seconds": round(time.perf_counter() - started, 3), **figures})
    finally:
        if test_db is not None:
            connection.creation.destroy_test_db(test_db, verbosity=0)
    json.dump(
        {"machine": machine(), "database": connection.vendor, "benchmarks": results}, sys.stdout, indent=2
    )
    sys.stdout.write("\n")
    return 0


def _engine_flag(argv: list[str]) -> list[str]:
    """`lipsync --engine musetalk|wav2lip`: the lip-sync benchmark of that engine."""
    if "--engine" not in argv:
        return argv
    at = argv.index("--engine")
    engine = argv[at + 1] if at + 1 < len(argv) else ""
    if engine not in ("musetalk", "wav2lip"):
        raise SystemExit("--engine takes musetalk or wav2lip")
    rest = argv[:at] + argv[at + 2 :]
    return [
        ("lipsync_musetalk" if engine == "musetalk" else "lipsync") if n == "lipsync" else n for n in rest
    ]


def _options(argv: list[str]) -> list[str]:
    """`faults --only a,b` and `stream_soak --duration 10m --faults --seed 7`: passed on as the
    environment those benchmarks read (FAULTS_ONLY, STREAM_SOAK_DURATION, …)."""
    flags = {"--only": "FAULTS_ONLY", "--duration": "STREAM_SOAK_DURATION", "--seed": "STREAM_SOAK_SEED"}
    rest = []
    items = iter(argv)
    for item in items:
        if item in flags:
            os.environ[flags[item]] = next(items, "")
        elif item == "--faults":
            os.environ["STREAM_SOAK_FAULTS"] = "1"
        else:
            rest.append(item)
    return rest


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
