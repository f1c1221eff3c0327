"""Lip-sync stage (issue 8) on whatever device torch finds: a GPU if there is one, else the CPU.

Reports, in one run on one device, with a random-weight generator (speed does not depend on the
weights) and a 1280x720 avatar with a fixed face box:
- bare generator fps (fp16/bf16 channels_last on CUDA, fp32 on the CPU; BatchNorm folded);
- the full lip-sync stage fps: audio → mel on the device → generator → colour match and feathered
  paste into 1280x720 frames on the device → finished frames in host memory;
- the usual loop as a baseline: batch 16, fp32, generator output copied to the host, per-frame
  cv2 resize and paste on the CPU;
- time to the first 8 frames of a 5 s sentence (median of 5);
- a whole clip (lip-sync + x264 encode of frames and audio into an MP4) as a real-time factor.
On the CPU the sizes are small (and say so): the goals are for an H100.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

WIDTH, HEIGHT, FPS = 1280, 720, 25
FACE_BOX = (520, 160, 760, 460)  # x1, y1, x2, y2: a face about as big as a 720p webcam's
GOALS_H100 = {
    "stage_fps": 5000,
    "stage_over_bare": 0.6,
    "stage_over_usual_loop": 10,
    "first_8_frames_ms": 50,
    "clip_realtime_factor": 20,
}


def _sizes(gpu: bool) -> dict[str, int]:
    if gpu:
        return {"batch": 128, "stage_frames": 2048, "usual_frames": 512, "clip_seconds": 20, "loop": 25}
    return {"batch": 8, "stage_frames": 24, "usual_frames": 16, "clip_seconds": 2, "loop": 4}


def _avatar(n: int):  # noqa: ANN202 - PreparedAvatar, imported lazily with torch
    """A 1280x720 loop of `n` frames (a textured backdrop, a face-coloured oval, a slight sway)."""
    from builder.lipsync.wav2lip.avatar import PreparedAvatar
    from builder.lipsync.wav2lip.face import face_crops

    yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH]
    base = np.stack([xx * 255 // WIDTH, yy * 255 // HEIGHT, np.full_like(xx, 90)], axis=-1).astype(np.uint8)
    cx, cy = (FACE_BOX[0] + FACE_BOX[2]) // 2, (FACE_BOX[1] + FACE_BOX[3]) // 2
    base[((xx - cx) / 120) ** 2 + ((yy - cy) / 150) ** 2 < 1] = (224, 180, 150)
    frames = np.stack([np.roll(base, i, axis=1) for i in range(n)])
    boxes = np.array([FACE_BOX] * n, np.int32) + np.array([1, 0, 1, 0], np.int32) * np.arange(n)[:, None]
    return PreparedAvatar(frames, boxes, face_crops(frames, boxes))


def _speech(seconds: float, seed: int = 0):  # noqa: ANN202
    from builder.tts.base import Speech

    rate = 22_050  # espeak's rate: the bench includes the resampling to 16 kHz
    rng = np.random.default_rng(seed)
    envelope = 0.5 + 0.5 * np.sin(np.arange(int(seconds * rate)) / rate * 2 * np.pi * 3)  # syllables
    return Speech((rng.standard_normal(envelope.size) * 4000 * envelope).astype(np.int16), rate)


def _sync(device: Any) -> None:
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _bare_fps(generator: Any, batch: int, iterations: int) -> float:
    import torch

    mel = torch.randn(batch, 1, 80, 16, device=generator.device)
    faces = torch.rand(batch, 6, 96, 96, device=generator.device)
    generator(mel, faces)
    _sync(generator.device)
    started = time.perf_counter()
    for _ in range(iterations):
        generator(mel, faces)
    _sync(generator.device)
    return batch * iterations / (time.perf_counter() - started)


def _stage(engine: Any, frames: int) -> float:
    speech = _speech(frames / FPS)
    started = time.perf_counter()
    count = sum(1 for _ in engine.render(speech))
    return count / (time.perf_counter() - started)


def _first_frames_ms(engine: Any, runs: int = 5) -> float:
    times = []
    for seed in range(runs):
        speech = _speech(5.0, seed)
        started = time.perf_counter()
        frames = engine.render(speech)
        for _ in range(8):
            next(frames)
        times.append((time.perf_counter() - started) * 1000)
        frames.close()
    return statistics.median(times)


def _usual_loop_fps(model: Any, device: Any, avatar: Any, frames: int, batch: int = 16) -> float:
    """The loop most Wav2Lip integrations run: fp32, host round trips, cv2 paste per frame."""
    import cv2
    import torch

    from builder.lipsync.wav2lip.audio import speech_windows

    speech = _speech(frames / FPS)
    started = time.perf_counter()
    mel = speech_windows(speech.pcm, speech.sample_rate, frames, FPS, "cpu").numpy()
    out = []
    for start in range(0, frames, batch):
        idx = [i % len(avatar.frames) for i in range(start, min(frames, start + batch))]
        faces = avatar.faces[idx].astype(np.float32)
        masked = faces.copy()
        masked[:, 48:] = 0
        inputs = np.concatenate((masked, faces), axis=3).transpose(0, 3, 1, 2) / 255.0
        with torch.no_grad():
            pred = model(
                torch.from_numpy(mel[start : start + len(idx)]).to(device),
                torch.from_numpy(inputs).float().to(device),
            )
        pred = pred.cpu().numpy().transpose(0, 2, 3, 1) * 255.0
        for p, i in zip(pred, idx, strict=True):
            x1, y1, x2, y2 = avatar.boxes[i]
            frame = avatar.frames[i].copy()
            frame[y1:y2, x1:x2] = cv2.resize(p.astype(np.uint8), (x2 - x1, y2 - y1))[:, :, ::-1]
            out.append(frame)
    return frames / (time.perf_counter() - started)


def _clip(engine: Any, seconds: int, work: Path) -> dict[str, float]:
    from builder.encode.segment import encode_segment

    speech = _speech(seconds, seed=9)
    started = time.perf_counter()
    frames = engine.render(speech)
    info = encode_segment(frames, speech.pcm, speech.sample_rate, work / "clip.mp4", engine.fmt)
    total = time.perf_counter() - started
    return {
        "clip_audio_s": round(info.duration, 2),
        "clip_build_s": round(total, 2),
        "clip_realtime_factor": round(info.duration / total, 2),
        "clip_lipsync_wait_s": round(info.source_seconds, 2),
    }


def run(device: str | None = None) -> dict[str, Any]:
    import torch

    from builder.lipsync.wav2lip.engine import Wav2LipLipSync
    from builder.lipsync.wav2lip.model import Wav2Lip
    from builder.lipsync.wav2lip.runtime import Generator
    from builder.media import MediaFormat

    device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    gpu = device.type == "cuda"
    sizes = _sizes(gpu)
    fmt = MediaFormat(width=WIDTH, height=HEIGHT, fps=FPS, preset="superfast")
    avatar = _avatar(sizes["loop"])
    generator = Generator.prepare(Wav2Lip(), device, "fp16")
    engine = Wav2LipLipSync(fmt, avatar, generator, batch=sizes["batch"])
    engine.warm_up()

    bare = _bare_fps(generator, sizes["batch"], 30 if gpu else 2)
    stage = _stage(engine, sizes["stage_frames"])
    first_ms = _first_frames_ms(engine)
    usual = _usual_loop_fps(Wav2Lip().eval().to(device), device, avatar, sizes["usual_frames"])
    with tempfile.TemporaryDirectory(prefix="bench-lipsync-") as tmp:
        clip = _clip(engine, sizes["clip_seconds"], Path(tmp))
    cpu = f"cpu ({os.cpu_count()} cores, {torch.get_num_threads()} torch threads)"
    name = torch.cuda.get_device_name(device) if gpu else cpu
    return {
        "engine": "wav2lip",
        "device": name,
        "note": None if gpu else "no GPU: a CPU run at small sizes; the goals (H100) are not measured",
        "precision": str(generator.dtype).removeprefix("torch."),
        "output": f"{WIDTH}x{HEIGHT}@{FPS}",
        **sizes,
        "bare_generator_fps": round(bare, 1),
        "stage_fps": round(stage, 1),
        "stage_over_bare": round(stage / bare, 2),
        "usual_loop_fps": round(usual, 1),
        "stage_over_usual_loop": round(stage / usual, 2),
        "first_8_frames_ms": round(first_ms, 1),
        **clip,
        "goals_h100": GOALS_H100,
    }
