"""The clip pipeline: question → answer sentences → voice → segments → clip.

Each sentence becomes one segment as soon as it is voiced, so the streamer can start airing the
first segment while later ones are still being written. What a segment holds depends on the
character:

- an engine that draws faster than the stream plays (`LipSyncEngine.draws_live`: the sprite
  character) gets a *speech* segment (the voice and its phoneme timings, builder/encode/speech.py):
  the streamer draws its frames at air time, so no answer frame is encoded twice, and the
  library's MP4 is made afterwards at low priority (`BuildResult.library_pending`);
- any other engine (Wav2Lip) renders here into a *video* segment (an MP4), and at the end the
  segments are joined into the library's MP4 (stream copy, no re-encode).

WebVTT subtitles and a thumbnail are written either way. Plain Python: the Django side supplies
engines, paths and the callbacks that record progress.
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
from builder.drawing import Graphics, clip_overlays, sentence_frames
from builder.encode.join import join_segments
from builder.encode.segment import encode_segment
from builder.encode.speech import write_speech
from builder.encode.subtitles import webvtt
from builder.encode.thumbnail import write_thumbnail
from builder.errors import BuildError, TransientBuildError
from builder.lipsync.base import LipSyncEngine, LipSyncError
from builder.llm.base import LLMEngine, LLMError
from builder.llm.errors import LLMUnavailable
from builder.media import MediaFormat
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


@dataclass
class SegmentReady:
    index: int
    path: Path
    duration: float
    text: str
    n_frames: int
    kind: str = "video"  # or "speech": drawn at air time (builder/encode/speech.py)


@dataclass
class BuildResult:
    answer_text: str
    duration: float
    timings: dict[str, Any] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)
    lipsync_engine: str = ""
    segments: list[SegmentReady] = field(default_factory=list)
    library_pending: bool = False  # speech segments: the library's MP4 is still to be made


__all__ = ["BuildRequest", "BuildResult", "Engines", "Graphics", "SegmentReady", "build_clip_media"]


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
    graphics: Graphics | None = None,
    on_progress: Callable[[dict[str, Any]], None] = lambda _progress: None,
) -> BuildResult:
    """Build every file of one clip into `out_dir` (emptied first: a retry starts clean).

    `on_progress` hears where the build is (stage, sentences voiced, segments encoded, the answer
    so far) at each step; it may raise (BuildCancelled) to stop the build there.
    """
    started = time.perf_counter()
    graphics = graphics or Graphics()
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
    live = engines.lipsync.draws_live
    first_speech: tuple[Any, str] | None = None
    banner = clip_overlays(graphics, request.viewer_name, request.question_text, fmt)
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
            made = time.perf_counter()
            if live:
                path = out_dir / f"segment-{len(segments):03d}.wav"
                n_frames, duration = write_speech(sentence.speech, sentence.text, path, fmt)
                first_speech = first_speech or (sentence.speech, sentence.text)
            else:
                frames = sentence_frames(
                    engines.lipsync, sentence.speech, sentence.text, frame_cursor, banner, graphics
                )
                if not thumbnail:
                    frames = _keep_middle_frame(
                        frames, int(sentence.speech.duration * fmt.fps) // 2, thumbnail
                    )
                path = out_dir / f"segment-{len(segments):03d}.mp4"
                info = encode_segment(frames, sentence.pcm, sentence.speech.sample_rate, path, fmt)
                n_frames, duration = info.n_frames, info.duration
            timings["render_encode"].append(time.perf_counter() - made)
            ready = SegmentReady(
                len(segments), path, duration, sentence.text, n_frames, "speech" if live else "video"
            )
            start = sum(s.duration for s in segments)
            cues.append((start, start + duration, sentence.text))
            segments.append(ready)
            frame_cursor += n_frames
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
    subtitles = out_dir / "clip.vtt"
    subtitles.write_text(webvtt(cues), encoding="utf-8")
    files = {"subtitles": subtitles}
    if first_speech is not None:  # drawn after the build, off the path to the first segment
        speech, text = first_speech
        frames = sentence_frames(engines.lipsync, speech, text, 0, banner, graphics)
        for _ in _keep_middle_frame(frames, int(speech.duration * fmt.fps) // 2, thumbnail):
            pass
    if not live:
        files["video"] = join_segments([s.path for s in segments], out_dir / "clip.mp4")
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
        library_pending=live,
    )
