"""TTS_MODEL_PATH is the owner's Coqui model and nothing else: a Piper (or Kokoro, espeak, OpenAI)
persona never gets it as its model path, so with it set a Piper persona still speaks its own
installed voice; and when that voice is missing, espeak speaks with the reason on the clip and in
the log, never silently."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from aijesus.studio.services import question_approve, question_submit
from builder import engines
from builder.answer import persona_voice
from builder.services import clip_build
from builder.tts import VoiceSettings, make_engine
from tests.builder.tts.onnx_voices import piper_voice

pytestmark = pytest.mark.django_db
pytest.importorskip("onnxruntime")

SENTENCE = "Bonjour à tous, la paix soit avec vous."


@pytest.fixture
def studio(settings, tmp_path):
    """An installed Piper voice, and TTS_MODEL_PATH naming the owner's Coqui model folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STREAM_WIDTH, settings.STREAM_HEIGHT, settings.STREAM_FPS = 160, 90, 10
    settings.VOICES_DIR = tmp_path / "installed"
    piper_voice(settings.VOICES_DIR, "fr_FR-test-medium")
    coqui = tmp_path / "coqui-model"
    coqui.mkdir()
    settings.TTS_MODEL_PATH = str(coqui)
    engines._tts.cache_clear()
    engines._coqui.cache_clear()
    yield settings
    engines._tts.cache_clear()
    engines._coqui.cache_clear()


def speaking(persona, engine: str, voice: str = "") -> dict:
    persona.voice = {**persona.voice, "engine": engine, "voice": voice}
    persona.language = "fr"
    persona.save_version(note=f"{engine} voice {voice or 'by language'}")
    return engines.with_defaults(persona.snapshot())


def test_only_a_coqui_persona_is_given_tts_model_path(studio, persona):
    for engine in ("piper", "kokoro", "espeak", "openai"):
        assert persona_voice(speaking(persona, engine)).model_path == "", engine
    assert persona_voice(speaking(persona, "coqui")).model_path == studio.TTS_MODEL_PATH


def test_a_piper_persona_speaks_its_own_voice_with_tts_model_path_set(studio, persona):
    data = speaking(persona, "piper")
    built = engines.engines_for(data)
    assert built.tts.name == "piper" and not isinstance(built.tts, engines._ByLanguage)
    assert built.warnings == []
    spoken = built.tts.synthesize(SENTENCE, persona_voice(data))
    # The installed voice's own output, sample for sample.
    alone = make_engine("piper", voices_dir=studio.VOICES_DIR).synthesize(
        SENTENCE, VoiceSettings(language="fr")
    )
    assert spoken.sample_rate == alone.sample_rate == 22050
    assert np.array_equal(spoken.pcm, alone.pcm)


def test_a_missing_piper_voice_falls_back_to_espeak_saying_why(studio, persona, caplog):
    data = speaking(persona, "piper", "fr_FR-gone-medium")
    with caplog.at_level(logging.WARNING, logger="builder.engines"):
        built = engines.engines_for(data)
    assert len(built.warnings) == 1
    warning = built.warnings[0]
    assert warning.startswith("spoken by espeak instead of piper: no Piper voice 'fr_FR-gone-medium'")
    assert str(studio.VOICES_DIR) in warning and studio.TTS_MODEL_PATH not in warning
    assert warning in caplog.messages
    assert built.tts.synthesize(SENTENCE, persona_voice(data)).duration > 0.5


def test_a_clip_of_a_piper_persona_is_in_its_voice_with_no_warning(
    studio, persona, django_capture_on_commit_callbacks
):
    speaking(persona, "piper", "fr_FR-test-medium")
    with django_capture_on_commit_callbacks(execute=False):
        clip = question_approve(question=question_submit(text="Qui es-tu ?", viewer_name="ivy"))
    assert clip_build(clip_id=clip.pk) == "ready"
    clip.refresh_from_db()
    assert clip.duration > 0 and "warnings" not in clip.timings
