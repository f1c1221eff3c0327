"""What the active persona's clips will be made with: answer engine, voice and lip-sync, each with
where the choice came from (the persona, or the studio default) and whether its files are there."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings

from aijesus.studio.endpoint_keys import key_state
from aijesus.studio.system.report import FAIL, OK, WARN, Check, safe_url
from builder.engines import describe_lipsync, llm_choice, llm_for, tts_choice, voice_problem, with_defaults
from builder.llm import LLMError


def persona_checks(persona: dict[str, Any] | None, *, live: bool, timeout: float) -> list[Check]:
    if persona is None:
        return [
            Check(
                "persona",
                "Persona",
                FAIL,
                "none active",
                fix="Run `python manage.py seed`, or activate one on the Personas page.",
            )
        ]
    data = with_defaults(persona)
    return [
        Check("persona", "Persona", OK, f"{persona['name']} ({persona.get('language', 'en')})"),
        llm_check(data, live=live, timeout=timeout),
        voice_check(data),
        lipsync_check(data),
    ]


def llm_check(data: dict[str, Any], *, live: bool, timeout: float) -> Check:
    choice = llm_choice(data)
    llm = data.get("llm") or {}
    if choice.engine == "offline":
        return Check(
            "llm",
            "Answer engine",
            OK,
            f"offline ({choice.source})",
            "Answers from the built-in index of passages; no network.",
            testable=True,
        )
    model = llm.get("model") or settings.LLM_MODEL
    base = llm.get("base_url") or settings.LLM_BASE_URL
    where = safe_url(base) or "the OpenAI API"
    may_send, key = key_state(base)
    value = f"openai, model {model} at {where} ({choice.source}); API key: {key}"
    if not may_send:
        return Check(
            "llm",
            "Answer engine",
            FAIL,
            value,
            "The studio's LLM_API_KEY goes only to LLM_BASE_URL; this persona names another address.",
            fix="An owner sets this address's own key on the persona's page (or empties its address).",
            testable=True,
        )
    if not base and not settings.LLM_API_KEY:
        return Check(
            "llm",
            "Answer engine",
            FAIL,
            value,
            "The OpenAI API needs a key.",
            fix="Set LLM_API_KEY, or LLM_BASE_URL for a local server (Ollama, vLLM, llama.cpp).",
        )
    if not live:
        return Check("llm", "Answer engine", OK, value, "not contacted", testable=True)
    try:
        ready = llm_for(data).check(timeout=timeout)
    except LLMError as exc:
        return Check("llm", "Answer engine", FAIL, value, str(exc), fix=_llm_fix(str(exc)), testable=True)
    if ready.warning:
        return Check(
            "llm",
            "Answer engine",
            WARN,
            value,
            ready.warning,
            fix="Set LLM_MODEL (or the persona's model).",
            testable=True,
        )
    return Check("llm", "Answer engine", OK, value, ready.detail, testable=True)


def _llm_fix(message: str) -> str:
    if "key" in message:
        return "Check LLM_API_KEY."
    if "could not reach" in message or "did not answer" in message:
        return "Start the server, or correct LLM_BASE_URL (and LLM_TIMEOUT for a slow one)."
    return "Check LLM_BASE_URL and LLM_MODEL."


def _voice(status: str, value: str, detail: str = "", fix: str = "", testable: bool = True) -> Check:
    return Check("voice", "Voice", status, value, detail, fix=fix, testable=testable)


def voice_check(data: dict[str, Any]) -> Check:
    choice = tts_choice(data)
    voice = data.get("voice") or {}
    named = voice.get("voice") or "the language's default"
    value = f"{choice.engine}, voice {named} ({choice.source})"
    problem = voice_problem(data)  # a model path outside the installed folders is never opened
    if problem:
        return _voice(FAIL, value, problem, "Install the model with `manage.py voices add` and name it.")
    if choice.engine == "espeak":
        from builder.tts import TTSError, VoiceSettings, make_engine

        settings_ = VoiceSettings(voice=voice.get("voice", ""), language=data.get("language", "en"))
        try:
            make_engine("espeak").synthesize("Test.", settings_)
        except TTSError as exc:
            return _voice(
                FAIL, value, str(exc), "Install espeak-ng (apt-get install espeak-ng), or pick another voice."
            )
        return _voice(OK, value, "espeak-ng answers")
    if choice.engine == "openai":
        if not settings.LLM_API_KEY and not settings.LLM_BASE_URL:
            return _voice(
                FAIL, value, "OpenAI voices need a key.", "Set LLM_API_KEY (TTS_ENGINE=openai uses it)."
            )
        return _voice(OK, value, f"spoken by {safe_url(settings.LLM_BASE_URL) or 'the OpenAI API'}")
    if choice.engine in ("piper", "kokoro"):
        return _installed_voice_check(choice.engine, data, value)
    return _coqui_check(voice, value)


def _installed_voice_check(engine: str, data: dict[str, Any], value: str) -> Check:
    from builder.answer import persona_voice
    from builder.tts import TTSError, make_engine

    try:
        import onnxruntime  # noqa: F401 — only whether it is installed
    except ImportError:
        return _voice(FAIL, value, "onnxruntime is not installed.", "Run `make voices`.", testable=False)
    try:
        found, speaker = make_engine(engine, voices_dir=settings.VOICES_DIR).find(persona_voice(data))
        found.speaker_id(speaker)
    except TTSError as exc:
        return _voice(
            WARN, value, f"{exc}; clips are spoken by espeak until it is there",
            "Install it: `python manage.py voices add PATH_OR_URL`, or upload it on the Personas page.",
        )  # fmt: skip
    return _voice(
        OK, value, f"{found.name} ({found.language}, {found.sample_rate} Hz) in {settings.VOICES_DIR}"
    )


def _coqui_check(voice: dict[str, Any], value: str) -> Check:
    from builder.tts import TTSError
    from builder.tts.coqui import resolve_model_files

    try:
        import TTS  # noqa: F401 — only whether Coqui is installed
    except ImportError:
        return _voice(FAIL, value, "Coqui TTS is not installed.", "Run `make voices`.", testable=False)
    try:
        files = resolve_model_files(voice.get("model_path", ""))
    except TTSError as exc:
        return _voice(
            FAIL,
            value,
            str(exc),
            "Set TTS_MODEL_PATH (or the persona's voice model_path) to the model folder.",
        )
    return _voice(OK, value, f"model files found: {files.checkpoint}")


def lipsync_check(data: dict[str, Any]) -> Check:
    choice = describe_lipsync(data)
    value = f"{choice.engine}: {choice.source}"
    configured = settings.WAV2LIP_CHECKPOINT
    if configured and not Path(configured).is_file():
        missing = f"WAV2LIP_CHECKPOINT names a file that is not there: {configured}"
        return Check(
            "lipsync", "Lip-sync", FAIL, value, missing,
            fix="Correct WAV2LIP_CHECKPOINT (docs/lipsync.md says where to get the file), or unset it.",
        )  # fmt: skip
    if settings.MUSETALK_DIR:
        from builder.lipsync.base import LipSyncError
        from builder.lipsync.musetalk.files import MuseTalkFiles

        try:
            MuseTalkFiles.find(settings.MUSETALK_DIR)
        except LipSyncError as exc:
            return Check(
                "lipsync", "Lip-sync", FAIL, value, str(exc),
                fix="Correct MUSETALK_DIR (docs/lipsync.md lists the files it holds), or unset it.",
            )  # fmt: skip
    if choice.problem:
        return Check(
            "lipsync", "Lip-sync", WARN, value, "Clips fall back to the drawn character.",
            fix="Set MUSETALK_DIR to the MuseTalk 1.5 models, or WAV2LIP_CHECKPOINT to a Wav2Lip "
            "checkpoint (docs/lipsync.md).",
        )  # fmt: skip
    return Check("lipsync", "Lip-sync", OK, value)
