"""Piper voices through the real loader and onnxruntime: small ONNX voices with Piper's real inputs
and outputs (tests/builder/tts/onnx_voices.py), phonemes from our espeak-ng binding."""

import json
from pathlib import Path

import numpy as np
import pytest

from builder.tts import TTSError, VoiceSettings, make_engine
from builder.tts.piper import BOS, EOS, PAD, phoneme_ids, read_voice, text_to_phonemes
from tests.builder.tts.onnx_voices import HOP, phoneme_id_map, piper_voice

pytest.importorskip("onnxruntime")


@pytest.fixture
def voices(tmp_path) -> Path:
    folder = tmp_path / "voices"
    piper_voice(folder, "fr_FR-test-medium")
    piper_voice(
        folder, "en_US-duo-medium", espeak_voice="en-us", language="en_US", speakers={"amy": 0, "bob": 1}
    )
    return folder


def speak(folder: Path, text: str, **voice) -> object:
    return make_engine("piper", voices_dir=folder).synthesize(text, VoiceSettings(**voice))


def assert_valid(speech) -> None:
    assert speech.pcm.dtype == np.int16 and speech.duration > 0.1
    assert np.abs(speech.pcm).max() > 30000  # scaled to full range, as Piper does
    assert speech.phonemes[0].start == 0 and speech.phonemes[-1].end == pytest.approx(speech.duration)
    for before, after in zip(speech.phonemes, speech.phonemes[1:], strict=False):
        assert before.end == pytest.approx(after.start)


def test_french_by_language_and_english_by_name(voices):
    french = speak(voices, "Bonjour à tous, le 25 décembre.", language="fr")
    assert french.sample_rate == 22050
    assert_valid(french)
    english = speak(voices, "Peace be with you.", language="en", voice="en_US-duo-medium")
    assert_valid(english)


def test_the_ids_are_pipers_and_keep_punctuation(voices):
    voice = read_voice(voices / "fr_FR-test-medium.onnx")
    phonemes = text_to_phonemes("Bonjour, mes amis !", voice)
    assert phonemes.startswith("bɔ̃ʒ") and "," in phonemes and phonemes.endswith("!")
    ids = phoneme_ids(voice, phonemes)
    table = phoneme_id_map()
    assert ids[:2] == [*table[BOS], *table[PAD]] and ids[-1] == table[EOS][0]
    assert ids[3] == table[PAD][0]  # a pad after every phoneme
    # The model received exactly these ids: each lasts HOP samples at speed 1.
    speech = speak(voices, "Bonjour, mes amis !", language="fr")
    assert len(speech.pcm) == len(ids) * HOP


def test_speed_and_speakers_reach_the_model(voices):
    normal = speak(voices, "Hello there.", language="en", voice="en_US-duo-medium")
    fast = speak(voices, "Hello there.", language="en", voice="en_US-duo-medium", speed=2.0)
    assert len(fast.pcm) == pytest.approx(len(normal.pcm) / 2, rel=0.01)
    amy = speak(voices, "Hello there.", language="en", voice="en_US-duo-medium#amy")
    bob = speak(voices, "Hello there.", language="en", voice="en_US-duo-medium#1")
    assert len(amy.pcm) == len(bob.pcm) and not np.array_equal(amy.pcm, bob.pcm)


@pytest.mark.parametrize(
    ("voice", "message"),
    [
        ({"language": "de"}, "no Piper voice for 'de' is installed"),
        ({"language": "fr", "voice": "fr_FR-nobody-low"}, "no Piper voice 'fr_FR-nobody-low' is installed"),
        ({"language": "en", "voice": "fr_FR-test-medium"}, "speaks 'fr', not 'en'"),
        ({"language": "en", "voice": "en_US-duo-medium#carol"}, "has no speaker 'carol' (it has amy, bob)"),
        ({"language": "en", "voice": "en_US-duo-medium#7"}, "has no speaker '7'"),
        ({"language": "fr", "voice": "fr_FR-test-medium#2"}, "has a single speaker"),
    ],
)
def test_clear_errors_naming_what_is_wrong(voices, voice, message):
    with pytest.raises(TTSError, match=message.replace("(", r"\(").replace(")", r"\)")):
        speak(voices, "Bonjour.", **voice)


def test_missing_or_wrong_files_name_the_file(tmp_path, voices):
    model = voices / "fr_FR-test-medium.onnx"
    with pytest.raises(TTSError, match="model not found"):
        read_voice(tmp_path / "nothing.onnx")
    lonely = tmp_path / "lonely"
    lonely.mkdir()
    (lonely / "x.onnx").write_bytes(model.read_bytes())
    with pytest.raises(TTSError, match=r"x.onnx.json is missing"):
        read_voice(lonely / "x.onnx")
    (lonely / "x.onnx.json").write_text("{not json")
    with pytest.raises(TTSError, match="not a readable JSON file"):
        read_voice(lonely / "x.onnx")
    (lonely / "x.onnx.json").write_text(
        json.dumps({"audio": {"sample_rate": 22050}, "espeak": {"voice": "fr"}})
    )
    with pytest.raises(TTSError, match="phoneme_id_map is missing"):
        read_voice(lonely / "x.onnx")
    # A model that is not a Piper voice (Kokoro's inputs), and a file that is not a model at all.
    (lonely / "x.onnx.json").write_text((voices / "fr_FR-test-medium.onnx.json").read_text())
    (lonely / "x.onnx").write_bytes(b"definitely not onnx")
    with pytest.raises(TTSError, match="not a model onnxruntime can load"):
        speak(lonely, "Bonjour.", language="fr", voice="x")


def test_a_model_with_other_inputs_is_refused(tmp_path):
    import onnx
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("Identity", ["style"], ["audio"])],
        "not_piper",
        [helper.make_tensor_value_info("style", TensorProto.FLOAT, [1, 256])],
        [helper.make_tensor_value_info("audio", TensorProto.FLOAT, [1, 256])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    folder = tmp_path / "v"
    piper_voice(folder, "fr_FR-odd-low")
    onnx.save(model, folder / "fr_FR-odd-low.onnx")
    with pytest.raises(TTSError, match="is not a Piper voice: it takes"):
        speak(folder, "Bonjour.", language="fr")


def test_a_french_persona_s_numbers_dates_and_abbreviations_are_spelled_out_for_the_voice(voices):
    """The same clean-up espeak gets: Piper reads words, never digits or symbols."""
    from builder.answer import speak_answer
    from builder.llm.base import LLMEngine
    from builder.tts.piper import PiperEngine

    class Written(LLMEngine):
        name = "written"

        def stream(self, prompt):
            yield "Rendez-vous le 25/12/2026 à 20 h, avec M. Dupont : 3 pains et 2 poissons."

    heard = []

    class Listening(PiperEngine):
        def synthesize(self, text, voice):
            heard.append(text)
            return super().synthesize(text, voice)

    persona = {"language": "fr", "system_prompt": "", "voice": {"voice": "fr_FR-test-medium"}}
    spoken = list(speak_answer(persona, "Quand ?", "ivy", llm=Written(), tts=Listening(voices)))
    text = " ".join(heard).lower()
    assert spoken and not any(ch.isdigit() for ch in text), text
    assert "vingt-cinq décembre" in text and "monsieur" in text and "trois" in text
