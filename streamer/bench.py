"""CPU cost of streaming 720p30: idle loop and a clip, paced to real time, beside encode-only.

`run()` returns seconds of CPU per second of stream for: the paced idle loop, a paced clip (decoded
from a segment as on air), and the same encoder fed frames already in memory as fast as it takes
them ("encode only"). CPU is this process (frame making, decoding, pacing, pipes) plus the ffmpeg
child (getrusage(RUSAGE_CHILDREN) after it is reaped). Output goes to an FLV file, not a network.
No database or Redis is needed.
"""

from __future__ import annotations

import itertools
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from builder.avatar.loader import load_sprite_avatar
from builder.encode.segment import encode_segment
from builder.lipsync.sprite import SpriteLipSync
from builder.media import MediaFormat
from streamer.config import TWITCH_720P
from streamer.encoder import StreamEncoder
from streamer.outputs import Outputs
from streamer.pacing import Pacer, samples_for_frame
from streamer.sources import ClipSource, IdleSource

SECONDS = 10.0


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _measure(fmt: MediaFormat, out: Path, frames: Callable[[int], tuple[np.ndarray, bytes]],
             n: int, *, paced: bool) -> dict[str, float]:  # fmt: skip
    encoder = StreamEncoder(fmt, Outputs(rtmp_url=str(out)))
    pacer = Pacer(fmt.fps)
    own, children, wall = time.process_time(), _children_cpu(), time.perf_counter()
    encoder.start()
    pacer.restart(0)
    for i in range(n):
        if paced:
            pacer.wait(i)
        encoder.write(*frames(i))
    encoder.close(timeout=60)
    wall = time.perf_counter() - wall
    own, children = time.process_time() - own, _children_cpu() - children
    stream_seconds = n / fmt.fps
    return {
        "stream_seconds": round(stream_seconds, 2),
        "wall_seconds": round(wall, 2),
        "cpu_per_stream_second": round((own + children) / stream_seconds, 3),
        "python_cpu_per_stream_second": round(own / stream_seconds, 3),
        "ffmpeg_cpu_per_stream_second": round(children / stream_seconds, 3),
        "fps": round(n / wall, 1),
    }


def run(seconds: float = SECONDS, fmt: MediaFormat = TWITCH_720P) -> dict[str, Any]:
    n = round(seconds * fmt.fps)
    silence = bytes(samples_for_frame(0, fmt.sample_rate, fmt.fps) * fmt.channels * 2)
    with tempfile.TemporaryDirectory(prefix="stream-bench-") as tmp:
        root = Path(tmp)
        idle = IdleSource(fmt, SpriteLipSync(fmt, load_sprite_avatar("Bench", root / "sprites", fmt)))
        segment = root / "clip.mp4"
        t = np.arange(round(seconds * fmt.sample_rate)) / fmt.sample_rate
        voice = np.round(8000 * np.sin(2 * np.pi * 220 * t)).astype(np.int16)
        encode_segment(idle.engine.idle_frames(n, 0), voice, fmt.sample_rate, segment, fmt)

        def idle_frame(i: int) -> tuple[np.ndarray, bytes]:
            return idle.frame(i), silence

        clip = ClipSource(fmt, lambda index: segment if index == 0 else None, lambda: False)

        def clip_frame(i: int) -> tuple[np.ndarray, bytes]:
            frame = clip.next_frame()
            assert isinstance(frame, np.ndarray)
            return frame, clip.take_audio(samples_for_frame(i, fmt.sample_rate, fmt.fps))

        # Encode only: the same encoder fed 2 s of ready frames over and over, unpaced.
        ready = [idle.frame(i) for i in range(2 * fmt.fps)]
        cycle = itertools.cycle(ready)

        def ready_frame(i: int) -> tuple[np.ndarray, bytes]:
            return next(cycle), silence

        results = {
            "idle_paced": _measure(fmt, root / "idle.flv", idle_frame, n, paced=True),
            "clip_paced": _measure(fmt, root / "clip.flv", clip_frame, n, paced=True),
            "encode_only": _measure(fmt, root / "enc.flv", ready_frame, n, paced=False),
        }
    return {
        "format": f"{fmt.width}x{fmt.height}@{fmt.fps} {fmt.preset} {fmt.video_bitrate} CBR",
        "seconds_each": seconds,
        **results,
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
