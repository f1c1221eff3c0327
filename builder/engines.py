"""Choose and build the engines for a persona from settings (the Django side of the builder).

Engines are built once per worker process and reused: models and sprite sets are expensive to
load, cheap to keep. A persona's own choice (its `llm` / `voice` settings) wins over the global
default in settings.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings

from builder.lipsync.base import LipSyncEngine
from builder.llm.base import LLMEngine
from builder.media import MediaFormat
from builder.pipeline import Engines
from builder.tts.base import TTSEngine

log = logging.getLogger(__name__)


def media_format() -> MediaFormat:
    return MediaFormat(
        width=settings.STREAM_WIDTH,
        height=settings.STREAM_HEIGHT,
        fps=settings.STREAM_FPS,
        preset=settings.CLIP_X264_PRESET,
    )


def with_defaults(persona: dict[str, Any]) -> dict[str, Any]:
    """The persona as the pipeline reads it, with global defaults filled where it says nothing."""
    voice = dict(persona.get("voice") or {})
    if not voice.get("model_path") and settings.TTS_MODEL_PATH:
        voice["model_path"] = settings.TTS_MODEL_PATH
    return {**persona, "voice": voice}


def engines_for(persona: dict[str, Any]) -> Engines:
    return Engines(
        llm=llm_for(persona),
        tts=tts_for(persona),
        # The persona's uploaded sprite set, else the built-in drawn character with its name plate.
        lipsync=_lipsync(persona.get("name", "Studio"), media_format(), _sprite_source(persona)),
    )


def llm_for(persona: dict[str, Any]) -> LLMEngine:
    """The persona's answer engine alone (the dashboard's playground needs no lip-sync)."""
    llm = persona.get("llm") or {}
    return _llm(
        llm.get("engine") or settings.LLM_ENGINE,
        llm.get("base_url") or settings.LLM_BASE_URL,
        llm.get("model") or settings.LLM_MODEL,
        float(llm.get("temperature", 0.7)),
        int(llm.get("max_tokens", 220)),
    )


@lru_cache(maxsize=8)
def _llm(engine: str, base_url: str, model: str, temperature: float, max_tokens: int) -> LLMEngine:
    from builder.llm import make_engine

    if engine == "openai":
        return make_engine(
            "openai",
            base_url=base_url or None,
            api_key=settings.LLM_API_KEY,
            model=model,
            temperature=temperature,
            max_tokens=max_tokens,
            timeout=settings.LLM_TIMEOUT,
        )
    return make_engine("offline")


def tts_for(persona: dict[str, Any]) -> TTSEngine:
    return _tts((persona.get("voice") or {}).get("engine") or settings.TTS_ENGINE)


@lru_cache(maxsize=4)
def _tts(engine: str) -> TTSEngine:
    from builder.tts import make_engine

    if engine == "openai":
        return make_engine("openai", api_key=settings.LLM_API_KEY, base_url=settings.LLM_BASE_URL or None)
    return make_engine(engine)


def _sprite_source(persona: dict[str, Any]) -> str:
    from aijesus.studio.models import Avatar
    from builder.avatars import sprite_folder

    avatar = Avatar.objects.filter(pk=persona.get("avatar_id")).first()
    folder = sprite_folder(avatar) if avatar else None
    return str(folder) if folder else ""


@lru_cache(maxsize=4)
def _lipsync(name: str, fmt: MediaFormat, source: str = "") -> LipSyncEngine:
    from builder.avatar.loader import load_sprite_avatar
    from builder.lipsync.sprite import SpriteLipSync

    cache = Path(settings.MEDIA_ROOT) / "avatar-cache"
    avatar = load_sprite_avatar(name, cache, fmt, source=Path(source) if source else None)
    return SpriteLipSync(fmt, avatar)


def warm_up() -> None:
    """Worker start: build the active persona's engines now, so the first clip starts fast
    (the offline index, the voice library, the sprite set are loaded once per process)."""
    from aijesus.studio.models import Persona
    from builder.tts.base import VoiceSettings

    persona = Persona.objects.active()
    if persona is None:
        return
    data = with_defaults(persona.snapshot())
    engines = engines_for(data)
    prepare = getattr(engines.llm, "prepare", None)
    if prepare:
        prepare()
    engines.tts.synthesize("Ready.", VoiceSettings(language=data.get("language", "en")))
