"""Kokoro through the real loader and onnxruntime: a small ONNX model with Kokoro's inputs and
outputs, a voices file in Kokoro's layout, phonemes from our espeak-ng binding."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from builder.tts import TTSError, VoiceSettings, make_engine
from builder.tts.espeak import phonemize
from builder.tts.kokoro import read_vocab
from tests.builder.tts.onnx_voices import KOKORO_FRAME, kokoro_files

pytest.importorskip("onnxruntime")


@pytest.fixture
def folder(tmp_path) -> Path:
    kokoro_files(tmp_path / "voices")
    return tmp_path / "voices"


def speak(folder: Path, text: str, **voice):
    return make_engine("kokoro", voices_dir=folder).synthesize(text, VoiceSettings(**voice))


def test_french_and_english_with_mouth_timings_from_the_model(folder):
    french = speak(folder, "Bonjour à tous.", language="fr")
    assert french.sample_rate == 24_000 and french.pcm.dtype == np.int16
    # Four frames a token at speed 1, pads included: the timings are the model's durations.
    vocab = read_vocab(folder / "kokoro-v1.0.onnx")
    tokens = [p for p in phonemize("Bonjour à tous.", VoiceSettings(voice="fr-fr")) if p in vocab]
    assert len(french.pcm) == (len(tokens) + 2) * 4 * KOKORO_FRAME
    assert french.phonemes[0].phoneme == "" and french.phonemes[1].phoneme == "b"
    assert french.phonemes[-1].end == pytest.approx(french.duration)
    for before, after in zip(french.phonemes, french.phonemes[1:], strict=False):
        assert before.end == pytest.approx(after.start)
    english = speak(folder, "Peace be with you.", language="en", voice="bm_george")
    assert english.duration > 0.5 and "p" in [t.phoneme for t in english.phonemes]


def test_speed_styles_and_an_export_without_durations(folder, tmp_path):
    normal = speak(folder, "Hello there.", language="en", voice="af_heart")
    fast = speak(folder, "Hello there.", language="en", voice="af_heart", speed=2.0)
    assert len(fast.pcm) == len(normal.pcm) // 2
    other = speak(folder, "Hello there.", language="en", voice="bm_george")
    assert len(other.pcm) == len(normal.pcm) and not np.array_equal(other.pcm, normal.pcm)

    plain = kokoro_files(tmp_path / "plain", with_durations=False, tokens_name="input_ids").parent
    speech = speak(plain, "Bonjour.", language="fr")
    assert speech.phonemes[-1].end == pytest.approx(speech.duration)  # from the audio instead


@pytest.mark.parametrize(
    ("voice", "message"),
    [
        ({"language": "de"}, "Kokoro has no voice for 'de'"),
        ({"language": "fr", "voice": "ff_nobody"}, "Kokoro has no voice 'ff_nobody'"),
        ({"language": "en", "voice": "ff_siwis"}, "speaks 'fr', not 'en'"),
        ({"language": "fr", "voice": "ff_siwis#2"}, "no speakers to choose"),
        ({"language": "fr", "speed": 3.0}, r"0\.5 to 2 times"),
    ],
)
def test_clear_errors(folder, voice, message):
    with pytest.raises(TTSError, match=message):
        speak(folder, "Bonjour.", **voice)


def test_a_voice_in_a_language_the_studio_does_not_speak(tmp_path):
    folder = kokoro_files(tmp_path / "v", voices=("ff_siwis", "jf_alpha")).parent
    with pytest.raises(TTSError, match="its language is not supported"):
        speak(folder, "Bonjour.", language="fr", voice="jf_alpha")


def test_missing_and_wrong_files(tmp_path, folder):
    with pytest.raises(TTSError, match=r"kokoro-v1\.0\.onnx is missing"):
        speak(tmp_path, "Bonjour.", language="fr")
    broken = tmp_path / "broken"
    shutil.copytree(folder, broken)
    (broken / "voices-v1.0.bin").write_bytes(b"not numpy")
    with pytest.raises(TTSError, match="not a Kokoro voices file"):
        speak(broken, "Bonjour.", language="fr")
    with (broken / "voices-v1.0.bin").open("wb") as out:  # a file object: savez adds no .npz
        np.savez(out, ff_siwis=np.zeros((510, 256), dtype=np.float32))
    with pytest.raises(TTSError, match=r"style shape \(510, 256\), not \(rows, 1, 256\)"):
        speak(broken, "Bonjour.", language="fr")
    (broken / "voices-v1.0.bin").unlink()
    with pytest.raises(TTSError, match="voices file not found"):
        speak(broken, "Bonjour.", language="fr")


def test_the_vocab_comes_from_kokoro_onnx_when_no_config_is_beside_the_model(tmp_path):
    folder = kokoro_files(tmp_path / "v", vocab=False).parent
    spec = pytest.importorskip("importlib.util").find_spec("kokoro_onnx")
    if spec is None:
        with pytest.raises(TTSError, match="no Kokoro vocab"):
            read_vocab(folder / "kokoro-v1.0.onnx")
        return
    vocab = read_vocab(folder / "kokoro-v1.0.onnx")
    shipped = json.loads((Path(next(iter(spec.submodule_search_locations))) / "config.json").read_text())
    assert vocab == shipped["vocab"]
    # Our espeak binding writes the symbols Kokoro was trained on: nearly all are in its table.
    for text, voice in (
        ("Bonjour à tous, le vingt-cinq décembre.", "fr-fr"),
        ("Peace be with you.", "en-us"),
    ):
        phonemes = [p for p in phonemize(text, VoiceSettings(voice=voice)) if p != " "]
        known = sum(p in vocab for p in phonemes) / len(phonemes)
        assert known > 0.9, (phonemes, [p for p in phonemes if p not in vocab])
    assert speak(folder, "Bonjour à tous.", language="fr").duration > 0
