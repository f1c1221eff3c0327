"""The one-command GPU check, as a CPU dry run with tiny models: the script that runs on a GPU
cannot rot. It runs as a user would run it (bash, its own process); no Django in it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_the_gpu_check_dry_run_writes_its_report(tmp_path):
    # As on the lent device machine: no Django there (a package that refuses to import stands in).
    blocker = tmp_path / "no-django" / "django"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError('no Django on this machine')\n")
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["PYTHON"] = sys.executable
    env["PYTHONPATH"] = os.pathsep.join([str(blocker.parent), str(ROOT)])
    done = subprocess.run(
        ["bash", "bench/gpu_check.sh", "--device", "cpu", str(tmp_path / "out")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads((tmp_path / "out" / "gpu_check.json").read_text())
    assert report["device"] == "cpu"
    for engine in ("wav2lip", "musetalk"):
        check = report["checks"][engine]
        assert check["ok"] and check["pixels_changed_outside_the_mouth"] == 0
        assert check["frames"] == check["frames_expected"] == 10
        figures = report[engine]
        assert figures["engine"] == engine and figures["stage_fps"] > 0 and figures["first_8_frames_ms"] > 0
        assert figures["clip_realtime_factor"] > 0 and "not measured" in figures["note"]
    assert report["musetalk"]["bare_model_fps"] > 0 and report["wav2lip"]["bare_generator_fps"] > 0
