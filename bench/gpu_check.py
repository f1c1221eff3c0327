"""The lip-sync GPU check (issue 14): `bench/gpu_check.sh` runs this. Django-free, so it runs where
only torch and the model packages are installed (the lent device machine).

On the chosen device, for Wav2Lip and MuseTalk 1.5 with random-weight models: the device checks
(a sentence renders to the right number of frames, finite, and changes no pixel outside the face
box's mouth region), then each engine's lip-sync benchmark at 1280x720 (bench/lipsync.py,
bench/lipsync_musetalk.py; MuseTalk at the published sizes on a GPU, tiny on the CPU). One JSON
file: `<out>/gpu_check.json`. Exits 1 when a check fails.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
import traceback
from pathlib import Path
from typing import Any

import numpy as np


def _check(engine: Any) -> dict[str, Any]:
    from bench.lipsync import FPS, _speech
    from builder.lipsync.base import frame_count
    from builder.lipsync.wav2lip.paste import MASK_COLS, MASK_ROWS

    speech = _speech(0.4, seed=3)
    frames = np.stack(list(engine.render(speech, start_frame=0)))
    avatar = getattr(engine.avatar, "prepared", engine.avatar)
    loop = avatar.loop_index
    outside = []
    for f, frame in enumerate(frames):
        i = loop[f % len(loop)]
        x1, y1, x2, y2 = (int(v) for v in avatar.boxes[i])
        w, h = x2 - x1, y2 - y1
        keep = np.ones(frame.shape[:2], bool)
        keep[int(y1 + MASK_ROWS[0] * h) - 1 : int(y1 + MASK_ROWS[3] * h) + 2,
             int(x1 + MASK_COLS[0] * w) - 1 : int(x1 + MASK_COLS[3] * w) + 2] = False  # fmt: skip
        outside.append(int(np.count_nonzero(np.any(frame != avatar.frames[i], axis=-1) & keep)))
    result = {
        "frames": len(frames),
        "frames_expected": frame_count(speech.duration, FPS),
        "pixels_changed_outside_the_mouth": sum(outside),
    }
    result["ok"] = result["frames"] == result["frames_expected"] and sum(outside) == 0
    return result


def checks(device: str) -> dict[str, Any]:
    import torch

    from bench.lipsync import FPS, HEIGHT, WIDTH, _avatar
    from bench.lipsync_musetalk import engine_on
    from builder.lipsync.wav2lip.engine import Wav2LipLipSync
    from builder.lipsync.wav2lip.model import Wav2Lip
    from builder.lipsync.wav2lip.runtime import Generator
    from builder.media import MediaFormat

    fmt = MediaFormat(width=WIDTH, height=HEIGHT, fps=FPS)
    made = {
        "wav2lip": lambda: Wav2LipLipSync(
            fmt, _avatar(3), Generator.prepare(Wav2Lip(), torch.device(device)), batch=8
        ),
        "musetalk": lambda: engine_on(device, tiny=True, batch=4, loop=3),
    }
    out = {}
    for name, make in made.items():
        try:
            out[name] = _check(make())
        except Exception as exc:  # noqa: BLE001 - a check that cannot run fails, with the reason
            out[name] = {
                "ok": False,
                "error": f"{type(exc).__name__}: {exc}",
                "trace": traceback.format_exc()[-2000:],
            }
    return out


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto", help="auto (a GPU if torch sees one), cuda or cpu")
    parser.add_argument("--out", type=Path, default=Path("gpu-check"))
    parser.add_argument("--no-clip", action="store_true", help="skip the clip encodes (no ffmpeg here)")
    args = parser.parse_args(argv)
    import torch

    from bench import lipsync, lipsync_musetalk

    device = ("cuda" if torch.cuda.is_available() else "cpu") if args.device == "auto" else args.device
    started = time.perf_counter()
    report: dict[str, Any] = {
        "machine": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "platform": platform.platform(),
        },
        "device": torch.cuda.get_device_name(0) if device.startswith("cuda") else "cpu",
        "checks": checks(device),
    }
    benches = {
        "wav2lip": lambda: lipsync.run(device),
        "musetalk": lambda: lipsync_musetalk.run(device, clip=not args.no_clip),
    }
    for name, bench in benches.items():
        try:
            report[name] = bench()
        except Exception as exc:  # noqa: BLE001 - one engine's failure must not hide the other's
            report[name] = {"error": f"{type(exc).__name__}: {exc}", "trace": traceback.format_exc()[-2000:]}
    report["seconds"] = round(time.perf_counter() - started, 1)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "gpu_check.json").write_text(json.dumps(report, indent=2))
    print(json.dumps({k: report[k] for k in ("device", "checks", "seconds")}, indent=2))
    failed = [n for n, c in report["checks"].items() if not c.get("ok")] + [
        n for n in ("wav2lip", "musetalk") if "error" in report[n]
    ]
    if failed:
        print(f"gpu check failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
