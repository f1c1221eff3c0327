"""Run every benchmark against a throw-away test database and print the figures as JSON."""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from collections.abc import Callable
from typing import Any


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aijesus.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    from bench import ingest

    benchmarks: list[tuple[str, Callable[[], dict[str, Any]]]] = [("question_submit", ingest.run)]
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    results = []
    try:
        for name, run in benchmarks:
            started = time.perf_counter()
            figures = run()
            results.append({"name": name, "seconds": round(time.perf_counter() - started, 3), **figures})
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    report = {
        "machine": machine(),
        "database": connection.vendor,
        "benchmarks": results,
    }
    json.dump(report, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
