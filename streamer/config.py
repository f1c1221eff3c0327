"""The streamer's settings turned into objects: the format, the outputs, the idle character."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

from django.conf import settings

from builder.lipsync.base import LipSyncEngine, LipSyncError
from builder.media import MediaFormat
from streamer.outputs import Outputs
from streamer.sources import Drawing, IdleSource

log = logging.getLogger(__name__)

# Twitch's recommendations for 720p30: 3000-4500 kbit/s video, AAC 160 kbit/s at 48 kHz stereo.
TWITCH_720P = MediaFormat(video_bitrate="3000k", audio_bitrate="160k", profile="main", preset="veryfast")


def stream_format(**overrides: object) -> MediaFormat:
    """The settings' size and rate on Twitch-compliant defaults; None values are ignored."""
    fmt = replace(
        TWITCH_720P, width=settings.STREAM_WIDTH, height=settings.STREAM_HEIGHT, fps=settings.STREAM_FPS
    )
    return replace(fmt, **{k: v for k, v in overrides.items() if v is not None})


def preview_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / "preview"


def stream_outputs(mode: str | None = None, rtmp_url: str | None = None) -> Outputs:
    """`mode` is preview, rtmp or both (default STREAM_OUTPUT); the key comes from STREAM_KEY."""
    mode = mode or settings.STREAM_OUTPUT
    if mode not in ("preview", "rtmp", "both"):
        raise ValueError(f"output must be preview, rtmp or both, not {mode!r}")
    preview = preview_dir() if mode in ("preview", "both") else None
    if preview is not None:
        preview.mkdir(parents=True, exist_ok=True)
    url = (rtmp_url or settings.STREAM_RTMP_URL) if mode in ("rtmp", "both") else None
    return Outputs(rtmp_url=url, stream_key=settings.STREAM_KEY or "", preview_dir=preview)


def idle_source(fmt: MediaFormat) -> IdleSource:
    """The active persona's character, listening: the same look its answers have (an uploaded
    sprite set, the image / loop video Wav2Lip animates, or the drawn character), from the same
    engine the builder picks. If it cannot be had the idle loop is a still backdrop."""
    from aijesus.studio.models import Persona
    from builder.engines import lipsync_for, media_format, with_defaults
    from builder.errors import BuildError, TransientBuildError

    persona = Persona.objects.active()
    data = with_defaults(persona.snapshot()) if persona else {"name": "Studio"}
    built = media_format()
    if (fmt.width, fmt.height, fmt.fps) != (built.width, built.height, built.fps):
        # The stream was started at another size than the clips are built at (a CLI override):
        # draw the character at the stream's size; the clips will not match it anyway.
        return _drawn(data.get("name", "Studio"), fmt)
    try:
        engine, warnings = lipsync_for(data)
    except (OSError, ValueError, LipSyncError, BuildError, TransientBuildError) as exc:  # its avatar file
        log.error("cannot load the idle character (%s); idling on a still backdrop", exc)
        return IdleSource(fmt, None)
    for warning in warnings:
        log.warning("%s", warning)
    return IdleSource(fmt, engine)


def _drawn(name: str, fmt: MediaFormat) -> IdleSource:
    from builder.avatar.loader import load_sprite_avatar
    from builder.lipsync.sprite import SpriteLipSync

    try:
        avatar = load_sprite_avatar(name, Path(settings.MEDIA_ROOT) / "avatar-cache", fmt)
    except (OSError, ValueError) as exc:
        log.error("cannot draw the idle character %r (%s); idling on a still backdrop", name, exc)
        return IdleSource(fmt, None)
    return IdleSource(fmt, SpriteLipSync(fmt, avatar))


def clip_drawing(clip: Any, fmt: MediaFormat, fallback: LipSyncEngine | None) -> Drawing:
    """How the streamer draws a clip's speech segments: the character of the persona version it
    was built with (the engine the builder picked, cached per process), with the clip's graphics.
    If that character cannot be had at the stream's size, the idle loop's character speaks."""
    from builder.drawing import Graphics, clip_overlays
    from builder.engines import lipsync_for, media_format, with_defaults
    from builder.errors import BuildError, TransientBuildError

    built = media_format()
    engine = fallback
    if (fmt.width, fmt.height, fmt.fps) == (built.width, built.height, built.fps):
        try:
            engine, _ = lipsync_for(with_defaults(clip.persona_version.data))
        except (OSError, ValueError, LipSyncError, BuildError, TransientBuildError) as exc:  # its avatar
            log.error("clip %s: cannot load its character (%s); the idle one speaks", clip.pk, exc)
    if engine is not None and not engine.draws_live:
        engine = fallback  # its segments are video; only a speech segment would use this
    graphics = Graphics(question_banner=settings.CLIP_QUESTION_BANNER, captions=settings.CLIP_CAPTIONS)
    question = clip.question
    banner = clip_overlays(
        graphics, question.viewer_name if question else "", question.text if question else "", fmt
    )
    return Drawing(engine, banner, graphics)
