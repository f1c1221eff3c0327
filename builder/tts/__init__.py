"""Speech engines: one base class (`base.TTSEngine`), one module per backend.

Backends are imported only when asked for: the espeak default never loads torch or openai.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from builder.tts.base import PhonemeTiming, Speech, TTSEngine, TTSError, VoiceSettings

ENGINES = {
    "espeak": ("builder.tts.espeak", "EspeakEngine"),
    "coqui": ("builder.tts.coqui", "CoquiEngine"),
    "openai": ("builder.tts.openai_tts", "OpenAITTSEngine"),
    "piper": ("builder.tts.piper", "PiperEngine"),
    "kokoro": ("builder.tts.kokoro", "KokoroEngine"),
}


def make_engine(engine: str, **options: Any) -> TTSEngine:
    """The engine named `engine`, built with `options` (keyword arguments of its class).

    "espeak" takes none; "openai" takes base_url, api_key, model, default_voice, timeout,
    max_retries, response_format, pcm_sample_rate; "coqui" takes voices_dir (its installed models)
    and model_path; "piper" takes voices_dir (the installed voices) and providers (onnxruntime's,
    in order of preference).
    """
    try:
        module, name = ENGINES[engine]
    except KeyError:
        raise ValueError(f"unknown voice engine {engine!r}; choose one of: {', '.join(ENGINES)}") from None
    return getattr(import_module(module), name)(**options)


__all__ = ["ENGINES", "PhonemeTiming", "Speech", "TTSEngine", "TTSError", "VoiceSettings", "make_engine"]
