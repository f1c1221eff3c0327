"""The library's MP4 of a clip built from speech segments: drawn and encoded after the build, on
the `library` queue (a worker run at low CPU priority), off the path from approval to air."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from django.conf import settings

from aijesus import mediastore
from aijesus.studio import clip_media, lifecycle
from aijesus.studio.models import Clip, Segment
from builder.drawing import Graphics, clip_overlays, sentence_frames
from builder.encode.segment import encode_segment
from builder.encode.speech import read_speech, segment_files

log = logging.getLogger(__name__)


def clip_render_library(*, clip_id: int, attempt: int) -> str:
    """Returns what happened: "done", or why nothing was made."""
    from builder.engines import lipsync_for, media_format, with_defaults

    clip = Clip.objects.select_related("question", "persona_version").filter(pk=clip_id).first()
    if clip is None or clip.status != Clip.Status.READY or clip.attempt != attempt:
        return "not a ready clip at this attempt"
    if clip.video:
        return "already made"
    segments = list(clip.segments.filter(attempt=attempt, kind=Segment.Kind.SPEECH).order_by("index"))
    if not segments:
        return "no speech segments"
    fmt = media_format()
    lipsync, _ = lipsync_for(with_defaults(clip.persona_version.data))
    question = clip.question
    graphics = Graphics(question_banner=settings.CLIP_QUESTION_BANNER, captions=settings.CLIP_CAPTIONS)
    banner = clip_overlays(
        graphics, question.viewer_name if question else "", question.text if question else "", fmt
    )
    speeches = [read_speech(_fetched(s)) for s in segments]
    rate = speeches[0][0].sample_rate
    if any(speech.sample_rate != rate for speech, _ in speeches):
        raise ValueError(f"clip {clip_id}: its sentences were voiced at different sample rates")

    def frames() -> Iterator[np.ndarray]:
        cursor = 0
        for speech, text in speeches:
            for frame in sentence_frames(lipsync, speech, text, cursor, banner, graphics):
                cursor += 1
                yield frame

    # Each sentence's voice lasts as long as its frames, so the joined audio stays on the pictures.
    pcm = np.concatenate(
        [_padded(speech.pcm, seg.duration, rate) for (speech, _), seg in zip(speeches, segments, strict=True)]
    )
    out = clip_media.attempt_dir(clip_id, attempt) / "clip.mp4"
    partial = out.with_suffix(".partial.mp4")
    encode_segment(frames(), pcm, rate, partial, fmt)
    partial.replace(out)
    mediastore.publish(out)  # a store that stays away: the task is retried (builder.tasks)
    if not lifecycle.library_ready(
        clip_id=clip_id, attempt=attempt, video=str(out.relative_to(settings.MEDIA_ROOT))
    ):
        out.unlink(missing_ok=True)
        return "the clip moved on meanwhile"
    log.info("clip %s: library MP4 made (%.1f s)", clip_id, sum(s.duration for s in segments))
    return "done"


def _fetched(segment: Segment) -> Path:
    """A speech segment's WAV (and sidecar) here, fetched from the media store if made elsewhere."""
    for path in segment_files(Path(segment.media.name), segment.kind):
        mediastore.local(path.as_posix())
    return Path(settings.MEDIA_ROOT) / segment.media.name


def _padded(pcm: np.ndarray, seconds: float, rate: int) -> np.ndarray:
    want = round(seconds * rate)
    return np.concatenate([pcm, np.zeros(max(0, want - len(pcm)), np.int16)])[:want]
