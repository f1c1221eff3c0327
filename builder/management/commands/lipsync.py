"""`manage.py lipsync [--engine wav2lip|musetalk] --face IMAGE_OR_VIDEO --audio WAV --out OUT.mp4`:
lip-sync outside the studio.

For users checking a checkpoint and an avatar, and for measuring: prints the timings as JSON. Runs
on the GPU when there is one, else (slowly) on the CPU, and says which.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from builder.lipsync.base import LipSyncError
from builder.media import MediaFormat
from builder.tts.base import Speech

FIRST_FRAMES = 8


def read_audio(path: Path) -> Speech:
    """Any audio file PyAV reads (WAV, MP3, …) as mono int16 at its own sample rate."""
    import av

    try:
        with av.open(str(path)) as container:
            stream = container.streams.audio[0]
            resampler = av.AudioResampler(format="s16", layout="mono", rate=stream.rate)
            chunks = [
                out.to_ndarray().reshape(-1)
                for frame in [*container.decode(stream), None]
                for out in resampler.resample(frame)
            ]
    except (av.FFmpegError, IndexError) as exc:
        raise CommandError(f"cannot read audio from {path}: {exc}") from exc
    pcm = np.concatenate(chunks) if chunks else np.zeros(0, np.int16)
    return Speech(pcm.astype(np.int16), stream.rate)


def source_size(path: Path) -> tuple[int, int]:
    """The face source's width and height, rounded down to even numbers (H.264 4:2:0 needs them)."""
    from builder.lipsync.wav2lip.avatar import IMAGE_SUFFIXES

    if path.suffix.lower() in IMAGE_SUFFIXES:
        from PIL import Image

        with Image.open(path) as image:
            width, height = image.size
    else:
        import av

        with av.open(str(path)) as container:
            context = container.streams.video[0].codec_context
            width, height = context.width, context.height
    return width - width % 2, height - height % 2


def _numbers(text: str, count: int, what: str) -> list[int]:
    try:
        values = [int(v) for v in text.replace("x", ",").split(",")]
    except ValueError:
        values = []
    if len(values) != count:
        raise CommandError(f"{what} must be {count} integers, got {text!r}")
    return values


class _Timed:
    """Frames passed through, noting when the first FIRST_FRAMES had arrived."""

    def __init__(self, frames: Iterator[np.ndarray]) -> None:
        self.frames, self.started, self.first = frames, time.perf_counter(), None

    def __iter__(self) -> Iterator[np.ndarray]:
        for i, frame in enumerate(self.frames, 1):
            if i == FIRST_FRAMES:
                self.first = time.perf_counter() - self.started
            yield frame


class Command(BaseCommand):
    help = "Lip-sync a face image or loop video to an audio file into an MP4; prints timings as JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--engine", choices=["wav2lip", "musetalk"], default="wav2lip")
        parser.add_argument("--checkpoint", default=None, help="Wav2Lip's. Default: WAV2LIP_CHECKPOINT.")
        parser.add_argument("--models", default=None, help="MuseTalk's folder. Default: MUSETALK_DIR.")
        parser.add_argument("--face", required=True, type=Path, help="Image or loop video of the face.")
        parser.add_argument("--audio", required=True, type=Path, help="Speech: WAV or other audio.")
        parser.add_argument("--out", required=True, type=Path, help="MP4 to write.")
        parser.add_argument("--fps", type=int, default=25)
        parser.add_argument("--batch", type=int, help="Default: WAV2LIP_BATCH / MUSETALK_BATCH.")
        parser.add_argument("--size", help="Output WxH (default: the face source's size).")
        parser.add_argument("--face-box", help="x1,y1,x2,y2 in the source's pixels, instead of detection.")
        parser.add_argument("--device", default="auto", help="auto (GPU if any, else CPU), cuda or cpu.")
        parser.add_argument(
            "--precision", choices=["fp16", "bf16", "fp32"], help="Default: *_PRECISION (on CUDA)."
        )
        parser.add_argument("--preset", default=settings.CLIP_X264_PRESET, help="x264 preset.")

    def handle(self, *args: Any, **options: Any) -> None:
        from builder.encode.segment import encode_segment
        from builder.lipsync.wav2lip.factory import make_wav2lip

        face, checkpoint = options["face"], options["checkpoint"] or settings.WAV2LIP_CHECKPOINT
        if not face.is_file():
            raise CommandError(f"no face image or video at {face}")
        speech = read_audio(options["audio"])
        width, height = _numbers(options["size"], 2, "--size") if options["size"] else source_size(face)
        fmt = MediaFormat(width=width, height=height, fps=options["fps"], preset=options["preset"])
        box = _numbers(options["face_box"], 4, "--face-box") if options["face_box"] else None
        started = time.perf_counter()
        try:
            if options["engine"] == "musetalk":
                from builder.lipsync.musetalk.factory import make_musetalk

                engine = make_musetalk(
                    fmt, source=face, root=options["models"] or settings.MUSETALK_DIR, face_box=box,
                    batch=options["batch"] or settings.MUSETALK_BATCH,
                    precision=options["precision"] or settings.MUSETALK_PRECISION,
                    device=options["device"], allow_cpu=True,
                )  # fmt: skip
            else:
                engine = make_wav2lip(
                    fmt, source=face, checkpoint=checkpoint, face_box=box,
                    batch=options["batch"] or settings.WAV2LIP_BATCH,
                    precision=options["precision"] or settings.WAV2LIP_PRECISION,
                    device=options["device"], allow_cpu=True,
                )  # fmt: skip
            loaded = time.perf_counter()
            engine.warm_up()
            warmed = time.perf_counter()
            frames = _Timed(engine.render(speech))
            info = encode_segment(frames, speech.pcm, speech.sample_rate, options["out"], fmt)
        except LipSyncError as exc:
            raise CommandError(str(exc)) from exc
        if engine.device.type == "cpu":
            self.stderr.write(
                f"note: no GPU in use; {engine.name} on the CPU is for checks, not for streaming"
            )
        dtype = engine.generator.dtype if hasattr(engine, "generator") else engine.dtype
        total = time.perf_counter() - warmed
        report = {
            "engine": engine.name,
            "device": str(engine.device),
            "precision": str(dtype).removeprefix("torch."),
            "size": f"{width}x{height}@{fmt.fps}",
            "batch": engine.batch,
            "frames": info.n_frames,
            "audio_seconds": round(speech.duration, 3),
            "load_s": round(loaded - started, 3),
            "avatar_from_cache": engine.avatar.from_cache,
            "warm_up_s": round(warmed - loaded, 3),
            "first_8_frames_s": None if frames.first is None else round(frames.first, 4),
            "lipsync_s": round(info.source_seconds, 3),
            "encode_s": round(info.encode_seconds - info.source_seconds, 3),
            "total_s": round(total, 3),
            "lipsync_fps": round(info.n_frames / info.source_seconds, 1) if info.source_seconds else None,
            "realtime_factor": round(info.duration / total, 2),
            "out": str(options["out"]),
        }
        self.stdout.write(json.dumps(report))
