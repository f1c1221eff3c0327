"""Choose and build the engines for a persona from settings (the Django side of the builder).

Engines are built once per worker process and reused: models and sprite sets are expensive to
load, cheap to keep. A persona's own choice (its `llm` / `voice` "engine") wins over the studio
default in settings (LLM_ENGINE, TTS_ENGINE); an empty choice means "studio default", which is what
the seeded persona says, so the environment reaches it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings

from builder import video_lipsync
from builder.lipsync.base import LipSyncEngine
from builder.llm.base import LLMEngine
from builder.media import MediaFormat
from builder.pipeline import Engines
from builder.tts.base import Speech, TTSEngine, TTSError, VoiceSettings

log = logging.getLogger(__name__)


def media_format() -> MediaFormat:
    return MediaFormat(
        width=settings.STREAM_WIDTH,
        height=settings.STREAM_HEIGHT,
        fps=settings.STREAM_FPS,
        preset=settings.CLIP_X264_PRESET,
    )


def with_defaults(persona: dict[str, Any]) -> dict[str, Any]:
    """The persona as the pipeline reads it, with global defaults filled where it says nothing.

    A coqui voice's model is filled in as the engine finds it (the installed model the voice
    names, else TTS_MODEL_PATH), for the System page's check; a model path the persona names
    itself is kept, and refused where it is used (`voice_problem`).
    """
    voice = dict(persona.get("voice") or {})
    if tts_choice(persona).engine == "coqui":
        from builder.tts.coqui_files import split_voice

        try:
            installed, _ = split_voice(str(voice.get("voice", "")), settings.VOICES_DIR)
        except TTSError:  # names a model that is not installed: the engine says so
            installed = None
        if installed is not None:
            voice["model_path"] = str(installed)
        elif not voice.get("model_path") and settings.TTS_MODEL_PATH:
            voice["model_path"] = settings.TTS_MODEL_PATH
    return {**persona, "voice": voice}


def voice_problem(persona: dict[str, Any]) -> str:
    """Why the persona's voice model may not load, or "": models load only from the installed
    folders (VOICES_DIR) and the owner's TTS_MODEL_PATH, never from a path the persona names."""
    from builder.answer import persona_voice
    from builder.tts.coqui_files import allowed_model_path

    engine = tts_choice(persona).engine
    voice = persona_voice(persona)
    try:
        if engine == "coqui":
            _coqui(str(settings.VOICES_DIR), settings.TTS_MODEL_PATH).locate(voice)
        elif voice.model_path:
            allowed_model_path(voice.model_path, [Path(settings.VOICES_DIR)])
    except TTSError as exc:
        return str(exc)
    return ""


@dataclass(frozen=True)
class Choice:
    """Which engine a persona gets for one job, and why (shown on the System page)."""

    engine: str
    source: str  # "persona" (its own setting) or "studio default, VARIABLE"
    problem: str = ""  # why the engine asked for cannot be used (lip-sync falls back)

    @property
    def from_persona(self) -> bool:
        return self.source == "persona"


def llm_choice(persona: dict[str, Any]) -> Choice:
    chosen = (persona.get("llm") or {}).get("engine")
    return Choice(chosen, "persona") if chosen else Choice(settings.LLM_ENGINE, "studio default, LLM_ENGINE")


def tts_choice(persona: dict[str, Any]) -> Choice:
    chosen = (persona.get("voice") or {}).get("engine")
    return Choice(chosen, "persona") if chosen else Choice(settings.TTS_ENGINE, "studio default, TTS_ENGINE")


def engines_for(persona: dict[str, Any]) -> Engines:
    lipsync, warnings = lipsync_for(persona)
    tts, voice_warning = _voice_or_espeak(persona)
    if voice_warning:
        warnings.append(voice_warning)
    return Engines(llm=llm_for(persona), tts=tts, lipsync=lipsync, warnings=warnings)


def _voice_or_espeak(persona: dict[str, Any]) -> tuple[TTSEngine, str]:
    """The persona's voice engine; espeak, with the reason, when its installed voice is missing on
    this worker (a clip in a robotic voice beats no clip; the warning stays on the clip)."""
    from builder.answer import persona_voice
    from builder.tts import TTSError

    tts = tts_for(persona)
    find = getattr(tts, "find", None)  # engines that speak with installed voice files
    if find is None:
        return tts, ""
    try:
        find(persona_voice(persona))
    except TTSError as exc:
        warning = f"spoken by espeak instead of {tts.name}: {exc}"
        log.warning("%s", warning)
        return _ByLanguage(_tts("espeak")), warning
    return tts, ""


class _ByLanguage(TTSEngine):
    """A stand-in voice that speaks the persona's language in its own default voice: the persona's
    voice name and model belong to the engine it replaces."""

    def __init__(self, engine: TTSEngine) -> None:
        self.engine = engine
        self.name = engine.name

    def synthesize(self, text: str, voice: VoiceSettings) -> Speech:
        return self.engine.synthesize(text, replace(voice, voice="", model_path=""))


def llm_for(persona: dict[str, Any]) -> LLMEngine:
    """The persona's answer engine alone (the dashboard's playground needs no lip-sync).

    A key goes only to the address it was set for (aijesus/studio/endpoint_keys.py): a persona
    naming an address with no key of its own gets an engine that refuses, and nothing is sent.
    """
    from aijesus.studio.endpoint_keys import KeyRefused, llm_key_for
    from builder.llm.refused import RefusedEngine

    llm = persona.get("llm") or {}
    engine = llm_choice(persona).engine
    base_url = llm.get("base_url") or settings.LLM_BASE_URL
    key = ""
    if engine == "openai":
        try:
            key = llm_key_for(base_url)
        except KeyRefused as exc:
            return RefusedEngine(str(exc))
    return _llm(
        engine,
        base_url,
        key,
        llm.get("model") or settings.LLM_MODEL,
        float(llm.get("temperature", 0.7)),
        int(llm.get("max_tokens", 220)),
    )


@lru_cache(maxsize=8)
def _llm(
    engine: str, base_url: str, api_key: str, model: str, temperature: float, max_tokens: int
) -> LLMEngine:
    from builder.llm import make_engine

    if engine == "openai":
        return make_engine(
            "openai",
            base_url=base_url or None,
            api_key=api_key,
            model=model,
            temperature=temperature,
            max_tokens=max_tokens,
            timeout=settings.LLM_TIMEOUT,
        )
    return make_engine("offline")


def tts_for(persona: dict[str, Any]) -> TTSEngine:
    """The persona's voice engine; one that refuses with the reason when its model may not load."""
    engine = tts_choice(persona).engine
    problem = voice_problem(persona)
    if problem:
        log.warning("voice refused: %s", problem)
        return _RefusedVoice(engine, problem)
    if engine == "coqui":
        return _coqui(str(settings.VOICES_DIR), settings.TTS_MODEL_PATH)
    return _tts(engine)


@lru_cache(maxsize=4)
def _coqui(voices_dir: str, default_model: str) -> TTSEngine:
    from builder.tts.coqui import CoquiEngine

    return CoquiEngine(model_path=default_model, voices_dir=voices_dir)


class _RefusedVoice(TTSEngine):
    """Stands in for a voice whose model may not load: every clip fails with the reason (a clip in
    another voice would hide that the persona names a model from outside the installed folders)."""

    def __init__(self, name: str, reason: str) -> None:
        self.name = name
        self.reason = reason

    def synthesize(self, text: str, voice: VoiceSettings) -> Speech:
        raise TTSError(self.reason)


@lru_cache(maxsize=4)
def _tts(engine: str) -> TTSEngine:
    from builder.tts import make_engine

    if engine == "openai":
        return make_engine("openai", api_key=settings.LLM_API_KEY, base_url=settings.LLM_BASE_URL or None)
    if engine in ("piper", "kokoro"):
        return make_engine(engine, voices_dir=settings.VOICES_DIR)
    return make_engine(engine)


def lipsync_for(persona: dict[str, Any]) -> tuple[LipSyncEngine, list[str]]:
    """The persona's lip-sync engine, and warnings when it is not the one its avatar asks for.

    An image / loop video avatar is animated by MuseTalk or Wav2Lip when one can run
    (builder/video_lipsync.py); otherwise the drawn character speaks and the clip records why.
    A sprite avatar (or none) uses its sprite set, else the built-in drawn character.
    """
    from aijesus.studio.models import Avatar
    from builder.avatars import sprite_folder

    avatar = Avatar.objects.filter(pk=persona.get("avatar_id")).first()
    name, fmt = persona.get("name", "Studio"), media_format()
    if avatar is not None and avatar.kind == Avatar.Kind.VIDEO:
        engine = video_lipsync.build(avatar, fmt)
        if isinstance(engine, LipSyncEngine):
            return engine, []
        warning = f"lip-sync used the drawn character instead of avatar {avatar.name!r}: {engine}"
        log.warning("%s", warning)
        return _lipsync(name, fmt), [warning]
    warnings = []
    if settings.LIPSYNC_ENGINE in ("wav2lip", "musetalk"):
        warnings.append(
            f"LIPSYNC_ENGINE={settings.LIPSYNC_ENGINE} needs an image or loop video avatar; "
            "the sprite one was used"
        )
    folder = sprite_folder(avatar) if avatar else None
    return _lipsync(name, fmt, str(folder) if folder else ""), warnings


def describe_lipsync(persona: dict[str, Any]) -> Choice:
    """Which lip-sync the persona's clips get and why, without loading anything (the System page).
    The avatar decides: an image / loop video avatar is animated by MuseTalk or Wav2Lip when one
    can be, any other by its sprite set or the built-in drawn character."""
    from aijesus.studio.models import Avatar

    avatar = Avatar.objects.filter(pk=persona.get("avatar_id")).first()
    if avatar is None:
        return Choice("sprite", "the built-in drawn character (the persona has no avatar)")
    if avatar.kind != Avatar.Kind.VIDEO:
        return Choice("sprite", f"avatar {avatar.name!r} is a sprite set")
    engine, problem = video_lipsync.describe(avatar)
    if engine is None:
        why = f"the drawn character: avatar {avatar.name!r} cannot use MuseTalk or Wav2Lip ({problem})"
        return Choice("sprite", why, problem)
    return Choice(
        engine,
        f"avatar {avatar.name!r} is an image / loop video (LIPSYNC_ENGINE={settings.LIPSYNC_ENGINE})",
    )


@lru_cache(maxsize=4)
def _lipsync(name: str, fmt: MediaFormat, source: str = "") -> LipSyncEngine:
    from builder.avatar.loader import load_sprite_avatar
    from builder.lipsync.sprite import SpriteLipSync

    cache = Path(settings.MEDIA_ROOT) / "avatar-cache"
    avatar = load_sprite_avatar(name, cache, fmt, source=Path(source) if source else None)
    return SpriteLipSync(fmt, avatar)


def warm_up() -> None:
    """Worker start: build the active persona's engines now, so the first clip starts fast
    (the offline index, the voice library, the sprite set or the Wav2Lip model and avatar are
    loaded once per process)."""
    from aijesus.studio.models import Persona

    persona = Persona.objects.active()
    if persona is None:
        return
    data = with_defaults(persona.snapshot())
    engines = engines_for(data)
    prepare = getattr(engines.llm, "prepare", None)
    if prepare:
        prepare()
    engines.tts.synthesize("Ready.", VoiceSettings(language=data.get("language", "en")))
    warm = getattr(engines.lipsync, "warm_up", None)  # Wav2Lip: cuDNN kernels, device memory
    if warm:
        warm()
