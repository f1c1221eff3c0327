"""Clip build on the CPU: a ~20 s answer at 1280x720, 25 fps, with the default engines, built twice:
as the studio builds the drawn character's answers (speech segments, drawn by the streamer at air
time) and as video segments (what an engine that cannot draw live, Wav2Lip, gets).

Reports time to the first segment, total, real-time factor, and the x264 floor: encoding exactly
the same frames and audio again with nothing else to do. Goals (issue 4): first segment ≤ 1.0 s
after the build starts, ≥ 5x real time on 2 cores, build ≤ 1.5x the floor.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

QUESTION = "What is forgiveness?"
PERSONA = {"name": "Jesus", "system_prompt": "", "language": "en", "llm": {"max_words": 55}, "voice": {}}


def decode(path: Path) -> tuple[list[np.ndarray], np.ndarray]:
    import av

    with av.open(str(path)) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    with av.open(str(path)) as container:
        audio = np.concatenate([f.to_ndarray()[0] for f in container.decode(audio=0)])
    return frames, (audio * 32767).astype(np.int16)


def run() -> dict[str, Any]:
    from builder.avatar.loader import load_sprite_avatar
    from builder.encode.segment import encode_segment
    from builder.lipsync.sprite import SpriteLipSync
    from builder.llm import Prompt
    from builder.llm import make_engine as make_llm
    from builder.media import MediaFormat
    from builder.pipeline import BuildRequest, Engines, build_clip_media
    from builder.tts import make_engine as make_tts

    fmt = MediaFormat(width=1280, height=720, fps=25, preset="superfast")
    with tempfile.TemporaryDirectory(prefix="bench-clip-") as tmp:
        work = Path(tmp)
        # Worker start-up (once per process, not per clip): sprite set drawn, engines warm.
        prepare = time.perf_counter()
        lipsync = SpriteLipSync(fmt, load_sprite_avatar("Jesus", work / "avatar", fmt))
        llm, tts = make_llm("offline"), make_tts("espeak")
        llm.answer(Prompt(system="", question="warm up"))
        prepare = time.perf_counter() - prepare

        request = BuildRequest(clip_id=0, question_text=QUESTION, viewer_name="bench", persona=PERSONA)
        # As the studio builds the drawn character's answers: speech segments, drawn at air time.
        started = time.perf_counter()
        live = build_clip_media(request, Engines(llm, tts, lipsync), fmt, work / "live")
        speech_build = time.perf_counter() - started
        # The same answer rendered and encoded on the worker, as an engine that cannot draw live
        # (Wav2Lip) is built: the video path and its x264 floor.
        lipsync.draws_live = False
        started = time.perf_counter()
        result = build_clip_media(request, Engines(llm, tts, lipsync), fmt, work / "clip")
        build = time.perf_counter() - started

        floor = 0.0
        for segment in result.segments:
            frames, audio = decode(segment.path)
            begun = time.perf_counter()
            encode_segment(frames, audio, fmt.sample_rate, work / "floor.mp4", fmt)
            floor += time.perf_counter() - begun
    return {
        "format": f"{fmt.width}x{fmt.height}@{fmt.fps}",
        "worker_prepare_s": round(prepare, 2),
        "audio_seconds": round(result.duration, 2),
        "segments": len(result.segments),
        "first_segment_s": round(result.timings["first_segment"], 3),
        "total_s": round(build, 2),
        "realtime_factor": round(result.duration / build, 2),
        "encode_only_floor_s": round(floor, 2),
        "build_over_floor": round(build / floor, 2),
        "speech_segments": {
            "first_segment_s": round(live.timings["first_segment"], 3),
            "total_s": round(speech_build, 3),
            "realtime_factor": round(live.duration / speech_build, 1),
        },
        "goals": {"first_segment_s": 1.0, "realtime_factor": 5, "build_over_floor": 1.5},
    }
