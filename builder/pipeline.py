"""The clip pipeline: question → answer sentences → voice → lip-synced frames → segments → clip.

Each sentence becomes one segment as soon as it is voiced, so the streamer can start airing the
first segment while later ones are still being written. At the end the segments are joined into
one MP4 for the library (stream copy, no re-encode), with WebVTT subtitles and a thumbnail.
Plain Python: the Django side supplies engines, paths and the callbacks that record progress.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from builder.answer import AnswerFiltered, speak_answer
from builder.encode.join import join_segments
from builder.encode.segment import encode_segment
from builder.encode.subtitles import webvtt
from builder.encode.thumbnail import write_thumbnail
from builder.errors import BuildError, TransientBuildError
from builder.lipsync.base import LipSyncEngine, LipSyncError
from builder.llm.base import LLMEngine, LLMError
from builder.llm.errors import LLMUnavailable
from builder.media import MediaFormat
from builder.overlay import caption, question_banner, with_overlays
from builder.tts.base import TTSEngine, TTSError


@dataclass
class BuildRequest:
    clip_id: int
    question_text: str
    viewer_name: str
    persona: dict[str, Any]


@dataclass
class Engines:
    llm: LLMEngine
    tts: TTSEngine
    lipsync: LipSyncEngine
    # Why an engine is not the one the persona asked for (e.g. Wav2Lip fell back): kept on the clip.
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Graphics:
    """Broadcast graphics burned into the clip (settings CLIP_QUESTION_BANNER, CLIP_CAPTIONS)."""

    question_banner: bool = True
    captions: bool = False


@dataclass
class SegmentReady:
    index: int
    path: Path
    duration: float
    text: str
    n_frames: int


@dataclass
class BuildResult:
    answer_text: str
    duration: float
    timings: dict[str, Any] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)
    lipsync_engine: str = ""
    segments: list[SegmentReady] = field(default_factory=list)


def _keep_middle_frame(
    frames: Iterator[np.ndarray], middle: int, keep: list[np.ndarray]
) -> Iterator[np.ndarray]:
    for i, frame in enumerate(frames):
        if i == middle:
            keep.append(frame.copy())
        yield frame


def build_clip_media(
    request: BuildRequest,
    engines: Engines,
    fmt: MediaFormat,
    out_dir: Path,
    on_segment: Callable[[SegmentReady], None] = lambda _segment: None,
    graphics: Graphics = Graphics(),
    on_progress: Callable[[dict[str, Any]], None] = lambda _progress: None,
) -> BuildResult:
    """Build every file of one clip into `out_dir` (emptied first: a retry starts clean).

    `on_progress` hears where the build is (stage, sentences voiced, segments encoded, the answer
    so far) at each step; it may raise (BuildCancelled) to stop the build there.
    """
    started = time.perf_counter()
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    segments: list[SegmentReady] = []
    timings: dict[str, Any] = {"tts": [], "render_encode": []}
    if engines.warnings:
        timings["warnings"] = list(engines.warnings)
    cues: list[tuple[float, float, str]] = []
    thumbnail: list[np.ndarray] = []
    frame_cursor = 0
    banner = []
    if graphics.question_banner and request.question_text:
        banner = [question_banner(request.viewer_name or "viewer", request.question_text, fmt)]
    spoken = speak_answer(
        request.persona, request.question_text, request.viewer_name, llm=engines.llm, tts=engines.tts
    )
    written: list[str] = []

    def progress(stage: str) -> None:
        on_progress(
            {
                "stage": stage,
                "sentences": len(written),
                "segments": len(segments),
                "answer": " ".join(written),
            }
        )

    progress("answer")
    try:
        for sentence in spoken:
            written.append(sentence.text)
            progress("video")
            if not segments:
                timings["first_text"] = sentence.timings["text_at"]
            timings["tts"].append(sentence.timings["tts"])
            frames = engines.lipsync.render(sentence.speech, start_frame=frame_cursor)
            overlays = banner + ([caption(sentence.text, fmt)] if graphics.captions else [])
            if overlays:
                frames = with_overlays(frames, overlays)
            if not thumbnail:
                frames = _keep_middle_frame(frames, int(sentence.speech.duration * fmt.fps) // 2, thumbnail)
            path = out_dir / f"segment-{len(segments):03d}.mp4"
            info = encode_segment(frames, sentence.pcm, sentence.speech.sample_rate, path, fmt)
            timings["render_encode"].append(info.encode_seconds)
            ready = SegmentReady(len(segments), path, info.duration, sentence.text, info.n_frames)
            start = sum(s.duration for s in segments)
            cues.append((start, start + info.duration, sentence.text))
            segments.append(ready)
            frame_cursor += info.n_frames
            if len(segments) == 1:
                timings["first_segment"] = time.perf_counter() - started
            on_segment(ready)
            progress("answer")
    except AnswerFiltered as exc:
        raise BuildError(f"the answer was held back by the output filter: {exc.reason}") from exc
    except LLMUnavailable as exc:
        raise TransientBuildError(f"the answer engine is unavailable: {exc}") from exc
    except LLMError as exc:
        raise BuildError(f"the answer engine failed: {exc}") from exc
    except TTSError as exc:
        raise BuildError(f"the voice failed: {exc}") from exc
    except LipSyncError as exc:
        raise BuildError(f"the lip-sync failed: {exc}") from exc
    if not segments:
        raise BuildError("the answer was empty: nothing to say")

    progress("join")
    join_started = time.perf_counter()
    video = join_segments([s.path for s in segments], out_dir / "clip.mp4")
    subtitles = out_dir / "clip.vtt"
    subtitles.write_text(webvtt(cues), encoding="utf-8")
    files = {"video": video, "subtitles": subtitles}
    if thumbnail:
        files["thumbnail"] = write_thumbnail(thumbnail[0], out_dir / "thumbnail.jpg")
    timings["join"] = time.perf_counter() - join_started
    timings["total"] = time.perf_counter() - started
    duration = sum(s.duration for s in segments)
    timings["realtime_factor"] = duration / timings["total"]
    return BuildResult(
        answer_text=" ".join(s.text for s in segments),
        duration=duration,
        timings=timings,
        files=files,
        lipsync_engine=engines.lipsync.name,
        segments=segments,
    )
