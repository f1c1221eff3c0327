"""MuseTalk 1.5's lip-sync stage (issue 14) on one device: random-weight models at the published
sizes on a GPU (tiny ones on the CPU, which says so), a 1280x720 avatar with a fixed face box.

Reports, in one run: the bare model fps (UNet + VAE decode per frame, same batch), the full stage
fps (audio features → UNet → VAE → paste into 1280x720 → host), time to the first 8 frames of a
5 s sentence (median of 5), and a whole clip (stage + x264 encode) as a real-time factor.
Django-free, so the GPU check can run it where the studio is not installed.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.lipsync import FPS, HEIGHT, WIDTH, _avatar, _first_frames_ms, _speech, _stage, _sync

GOALS_H100 = {"stage_fps": 300, "stage_over_bare": 0.7, "first_8_frames_ms": 60}


def _sizes(gpu: bool) -> dict[str, int]:
    if gpu:
        return {"batch": 32, "stage_frames": 512, "clip_seconds": 10, "loop": 25}
    return {"batch": 4, "stage_frames": 12, "clip_seconds": 1, "loop": 2}


def engine_on(device: str, *, tiny: bool, batch: int, loop: int, precision: str = "fp16") -> Any:
    """A MuseTalk engine with random weights on `device`, over a synthetic 1280x720 avatar."""
    import torch

    from bench.musetalk_models import build
    from builder.lipsync.musetalk.avatar import MuseTalkAvatar, encode_crops
    from builder.lipsync.musetalk.engine import MuseTalkLipSync
    from builder.lipsync.wav2lip.avatar import PreparedAvatar
    from builder.lipsync.wav2lip.face import face_crops
    from builder.lipsync.wav2lip.runtime import PRECISIONS
    from builder.media import MediaFormat

    where = torch.device(device)
    dtype = PRECISIONS[precision] if where.type == "cuda" else torch.float32
    unet, vae, whisper, extractor = build(tiny)
    unet = unet.to(where, dtype).eval()
    if where.type == "cuda":
        unet = unet.to(memory_format=torch.channels_last)
    vae = vae.to(where, dtype).eval()
    encoder = whisper.encoder.to(where, dtype).eval()
    base = _avatar(loop)
    prepared = PreparedAvatar(base.frames, base.boxes, face_crops(base.frames, base.boxes, size=256))
    masked, reference = encode_crops(prepared.faces, vae)
    fmt = MediaFormat(width=WIDTH, height=HEIGHT, fps=FPS, preset="superfast")
    avatar = MuseTalkAvatar(prepared, masked, reference)
    engine = MuseTalkLipSync(
        fmt, avatar, unet=unet, vae=vae, whisper=encoder, extractor=extractor, batch=batch
    )
    engine.warm_up()
    return engine


def _bare_fps(engine: Any, iterations: int) -> float:
    import torch

    batch = engine.batch
    idx = torch.arange(batch, device=engine.device) % len(engine.masked)
    latents = torch.cat((engine.masked[idx], engine.reference[idx]), dim=1)
    audio = torch.randn(batch, 50, 384, device=engine.device, dtype=engine.dtype)
    with torch.inference_mode():
        for warm in (True, False):
            _sync(engine.device)
            started = time.perf_counter()
            for _ in range(1 if warm else iterations):
                engine.generate_faces(engine.unet(latents, engine._t0, encoder_hidden_states=audio).sample)
            _sync(engine.device)
    return batch * iterations / (time.perf_counter() - started)


def _clip(engine: Any, seconds: int) -> dict[str, float]:
    from builder.encode.segment import encode_segment

    speech = _speech(seconds, seed=9)
    with tempfile.TemporaryDirectory(prefix="bench-musetalk-") as tmp:
        started = time.perf_counter()
        info = encode_segment(
            engine.render(speech), speech.pcm, speech.sample_rate, Path(tmp) / "clip.mp4", engine.fmt
        )
        total = time.perf_counter() - started
    return {"clip_audio_s": round(info.duration, 2), "clip_realtime_factor": round(info.duration / total, 2)}


def run(device: str | None = None, *, tiny: bool | None = None, clip: bool = True) -> dict[str, Any]:
    import torch

    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    gpu = device.startswith("cuda")
    tiny = (not gpu) if tiny is None else tiny
    sizes = _sizes(gpu)
    engine = engine_on(device, tiny=tiny, batch=sizes["batch"], loop=sizes["loop"])
    bare = _bare_fps(engine, 20 if gpu else 2)
    stage = _stage(engine, sizes["stage_frames"])
    name = torch.cuda.get_device_name(engine.device) if gpu else f"cpu ({os.cpu_count()} cores)"
    return {
        "engine": "musetalk",
        "device": name,
        "models": "tiny, random weights (a dry run)" if tiny else "published sizes, random weights",
        "note": None if gpu else "no GPU: a CPU run with tiny models; the goals (H100) are not measured",
        "precision": str(engine.dtype).removeprefix("torch."),
        "output": f"{WIDTH}x{HEIGHT}@{FPS}",
        **sizes,
        "bare_model_fps": round(bare, 1),
        "stage_fps": round(stage, 1),
        "stage_over_bare": round(stage / bare, 2),
        "first_8_frames_ms": round(_first_frames_ms(engine, 5 if gpu else 1), 1),
        **(_clip(engine, sizes["clip_seconds"]) if clip else {}),
        "goals_h100": GOALS_H100,
    }
