"""The Coqui engine against real, tiny VITS models built here with random weights.

They are saved as checkpoint + config.json, the layout of a downloaded model, and loaded through
the engine's real path (Coqui's `TTS(model_path=..., config_path=...)`). Random weights make noise,
not words, but the shape of everything around the audio is real.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

# Only a guard for installs without the voice extras; CI installs them, so these tests run there.
pytest.importorskip("TTS")

from builder.tts.base import TTSError, VoiceSettings
from builder.tts.coqui import CoquiEngine, load_model, read_reference_audio, resolve_model_files

SAMPLE_RATE = 16000
SENTENCE = "Hello there. Peace be with you."


def build_tiny_vits(folder: Path, speakers: list[str] | None = None) -> Path:
    """A VITS small enough to build and speak in about a second on two cores."""
    import torch
    from TTS.config.shared_configs import BaseAudioConfig
    from TTS.tts.configs.vits_config import VitsArgs, VitsConfig
    from TTS.tts.models.vits import Vits

    folder.mkdir(parents=True, exist_ok=True)
    args = VitsArgs(
        hidden_channels=16,
        hidden_channels_ffn_text_encoder=32,
        num_layers_text_encoder=1,
        num_layers_posterior_encoder=1,
        num_layers_flow=1,
        init_discriminator=False,  # training only
        use_sdp=False,  # the plain duration predictor is deterministic: speed can be compared
        resblock_kernel_sizes_decoder=[3],
        resblock_dilation_sizes_decoder=[[1, 3, 5]],
        upsample_rates_decoder=[8, 4, 4],  # their product is the hop length
        upsample_initial_channel_decoder=32,
        upsample_kernel_sizes_decoder=[16, 8, 8],
    )
    audio = BaseAudioConfig(
        sample_rate=SAMPLE_RATE, fft_size=512, win_length=512, hop_length=128, num_mels=40
    )
    # Plain characters: no phonemizer, so no espeak-ng program is needed.
    config = VitsConfig(model_args=args, audio=audio, use_phonemes=False, text_cleaner="basic_cleaners")
    if speakers:
        speakers_file = folder / "speakers.json"
        speakers_file.write_text(json.dumps({name: i for i, name in enumerate(speakers)}))
        config.model_args.use_speaker_embedding = config.use_speaker_embedding = True
        config.model_args.speaker_embedding_channels = 8
        config.model_args.speakers_file = config.speakers_file = str(speakers_file)
    model = Vits(config)
    torch.save({"model": model.state_dict()}, folder / "model.pth")
    config.save_json(str(folder / "config.json"))
    return folder


def build_tiny_xtts(folder: Path) -> Path:
    """An XTTS with a one-layer GPT and a letters-only vocabulary. Its decoder and speaker encoder
    have fixed sizes in Coqui (about 22 M parameters): it builds in a few seconds."""
    import string

    import torch
    from tokenizers import Tokenizer
    from tokenizers.models import BPE
    from TTS.tts.configs.xtts_config import XttsArgs, XttsConfig
    from TTS.tts.layers.xtts.tokenizer import VoiceBpeTokenizer
    from TTS.tts.models.xtts import Xtts

    folder.mkdir(parents=True, exist_ok=True)
    special = ["[STOP]", "[UNK]", "[SPACE]", "[START]", "[en]", "[fr]"]
    letters = list(string.ascii_lowercase + string.digits + ".,!?'-")
    vocabulary = Tokenizer(
        BPE(vocab={t: i for i, t in enumerate(special + letters)}, merges=[], unk_token="[UNK]")
    )
    vocabulary.add_special_tokens(special)
    vocabulary.save(str(folder / "vocab.json"))
    args = XttsArgs(
        gpt_layers=1,
        gpt_n_model_channels=64,
        gpt_n_heads=2,
        decoder_input_dim=64,  # the decoder reads the GPT's latents
        gpt_max_text_tokens=200,
        gpt_max_prompt_tokens=20,
        gpt_max_audio_tokens=24,  # random weights rarely stop: this bounds every generation
        gpt_num_audio_tokens=34,
        gpt_start_audio_token=32,
        gpt_stop_audio_token=33,
    )
    config = XttsConfig(model_args=args, languages=["en", "fr"])
    model = Xtts(config)
    model.tokenizer = VoiceBpeTokenizer(str(folder / "vocab.json"))
    model.init_models()  # again, now that the vocabulary sizes the GPT's text embedding
    torch.save({"model": model.state_dict()}, folder / "model.pth")
    config.save_json(str(folder / "config.json"))
    return folder


@pytest.fixture(scope="session")
def tiny_vits(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_vits(tmp_path_factory.mktemp("coqui") / "tiny-vits")


@pytest.fixture(scope="session")
def two_speaker_vits(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_vits(tmp_path_factory.mktemp("coqui") / "two-speakers", speakers=["alice", "bob"])


@pytest.fixture(scope="session")
def tiny_xtts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_xtts(tmp_path_factory.mktemp("coqui") / "tiny-xtts")


@pytest.fixture
def reference_wav(tmp_path: Path) -> Path:
    import soundfile

    seconds = np.arange(3 * SAMPLE_RATE) / SAMPLE_RATE
    soundfile.write(tmp_path / "me.wav", 0.3 * np.sin(2 * np.pi * 220 * seconds), SAMPLE_RATE)
    return tmp_path / "me.wav"


def speak(model: Path, text: str = SENTENCE, **settings: object):
    """`model` as the owner's default model (TTS_MODEL_PATH): the engine loads no other path."""
    return CoquiEngine(model_path=model).synthesize(text, VoiceSettings(**settings))


def installed_recording(model: Path, reference: Path) -> str:
    """A reference recording as the engine takes one: a file in the model's folder, by name."""
    shutil.copyfile(reference, model / reference.name)
    return reference.name


def test_it_speaks_int16_mono_at_the_models_sample_rate(tiny_vits):
    speech = speak(tiny_vits)

    assert speech.pcm.dtype == np.int16
    assert speech.pcm.ndim == 1
    assert speech.sample_rate == SAMPLE_RATE
    assert speech.duration > 0.1
    assert np.any(speech.pcm != 0)


def test_its_phoneme_timings_cover_the_audio(tiny_vits):
    speech = speak(tiny_vits)

    assert speech.phonemes
    assert speech.phonemes[0].start == pytest.approx(0.0, abs=1e-6)
    assert speech.phonemes[-1].end == pytest.approx(speech.duration, abs=0.02)
    for before, after in zip(speech.phonemes, speech.phonemes[1:], strict=False):
        assert before.start <= before.end <= after.start + 1e-6


def test_it_loads_a_model_once_and_reuses_it(tiny_vits, monkeypatch):
    import TTS.api

    first = speak(tiny_vits)

    def no_second_load(*args, **kwargs):
        raise AssertionError("the model was loaded again")

    monkeypatch.setattr(TTS.api, "TTS", no_second_load)
    again = speak(tiny_vits)

    assert load_model(tiny_vits) is load_model(tiny_vits / "model.pth")
    assert again.sample_rate == first.sample_rate


def test_it_uses_its_default_model_when_the_voice_names_none(tiny_vits):
    speech = CoquiEngine(model_path=tiny_vits).synthesize(SENTENCE, VoiceSettings())

    assert speech.sample_rate == SAMPLE_RATE


def test_a_slower_speed_makes_longer_audio(tiny_vits):
    normal = speak(tiny_vits)
    slow = speak(tiny_vits, speed=0.5)

    assert slow.duration > normal.duration * 1.2
    # The speed is set for one call only.
    assert speak(tiny_vits).duration == pytest.approx(normal.duration)


def test_it_speaks_with_the_named_speaker(two_speaker_vits):
    import torch

    def seeded(**settings):
        torch.manual_seed(0)  # VITS samples noise: the same seed isolates the speaker's effect
        return speak(two_speaker_vits, **settings)

    load_model(two_speaker_vits)  # building the model draws random numbers too: do it first

    alice, bob, default = seeded(voice="alice"), seeded(voice="bob"), seeded()

    assert not np.array_equal(alice.pcm, bob.pcm)
    assert np.array_equal(default.pcm, alice.pcm)  # "" takes the model's first speaker


def test_an_unknown_speaker_is_a_clear_error(two_speaker_vits):
    with pytest.raises(TTSError, match=r"Unknown Coqui speaker 'carol'.*alice, bob"):
        speak(two_speaker_vits, voice="carol")


def test_a_single_voice_model_ignores_a_voice_name(tiny_vits):
    assert speak(tiny_vits, voice="en-us").duration > 0


def test_a_model_that_cannot_clone_refuses_a_reference_recording(tiny_vits, reference_wav):
    with pytest.raises(TTSError, match="cannot clone"):
        speak(tiny_vits, voice=installed_recording(tiny_vits, reference_wav))


def test_a_missing_reference_recording_is_a_clear_error(tiny_xtts):
    with pytest.raises(TTSError, match=r"Reference recording not found: nobody\.wav in .*tiny-xtts"):
        speak(tiny_xtts, voice="nobody.wav", language="en")


def test_xtts_clones_a_reference_recording_in_the_language_asked(tiny_xtts, reference_wav):
    import torch

    recording = installed_recording(tiny_xtts, reference_wav)

    def seeded(speed):
        torch.manual_seed(0)  # XTTS samples its audio tokens: the same seed isolates the speed
        return speak(tiny_xtts, voice=recording, language="fr-FR", speed=speed)

    load_model(tiny_xtts)
    normal, slow = seeded(1.0), seeded(0.5)

    assert normal.pcm.dtype == np.int16
    assert normal.sample_rate == 24000  # XTTS's decoder rate, not the 22050 it reads references at
    assert normal.duration > 0
    assert slow.duration > normal.duration * 1.5


def test_xtts_without_a_voice_says_how_to_give_one(tiny_xtts):
    with pytest.raises(
        TTSError, match=r"No voice chosen; this model has no named speakers; or name a reference recording"
    ):
        speak(tiny_xtts, language="en")


def test_a_language_the_model_lacks_is_a_clear_error(tiny_xtts, reference_wav):
    with pytest.raises(TTSError, match="does not speak 'de'; it has: en, fr"):
        speak(tiny_xtts, voice=installed_recording(tiny_xtts, reference_wav), language="de")


def test_a_missing_model_path_is_a_clear_error(tmp_path):
    with pytest.raises(TTSError, match=r"Coqui model not found at .*nowhere"):
        speak(tmp_path / "nowhere")


def test_no_model_path_at_all_says_what_to_set():
    with pytest.raises(TTSError, match="TTS_MODEL_PATH"):
        CoquiEngine().synthesize(SENTENCE, VoiceSettings())


def test_an_invalid_config_is_a_clear_error(tmp_path):
    (tmp_path / "model.pth").write_bytes(b"")
    (tmp_path / "config.json").write_text("{not json")

    with pytest.raises(TTSError, match="Invalid Coqui config"):
        speak(tmp_path)


def test_a_config_naming_no_model_is_a_clear_error(tmp_path):
    (tmp_path / "model.pth").write_bytes(b"")
    (tmp_path / "config.json").write_text("{}")

    with pytest.raises(TTSError, match="names no model"):
        speak(tmp_path)


def test_a_broken_checkpoint_is_a_clear_error(tiny_vits, tmp_path):
    (tmp_path / "config.json").write_text((tiny_vits / "config.json").read_text())
    (tmp_path / "model.pth").write_bytes(b"not a checkpoint")

    with pytest.raises(TTSError, match="Could not load the Coqui model"):
        speak(tmp_path)


def test_it_finds_the_checkpoint_in_a_folder_or_takes_the_file_given(tiny_vits, tmp_path):
    assert resolve_model_files(tiny_vits).checkpoint == tiny_vits / "model.pth"
    assert resolve_model_files(tiny_vits / "model.pth").config == tiny_vits / "config.json"

    (tmp_path / "config.json").write_text(json.dumps({"model": "vits"}))
    (tmp_path / "step_1000.pth").write_bytes(b"")
    (tmp_path / "step_2000.pth").write_bytes(b"")
    with pytest.raises(TTSError, match=r"step_1000\.pth, step_2000\.pth"):
        resolve_model_files(tmp_path)


def test_an_xtts_folder_loads_as_a_whole(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"model": "xtts"}))

    assert resolve_model_files(tmp_path).checkpoint == tmp_path


def test_reference_audio_is_read_as_mono_at_the_rate_asked(tmp_path):
    import soundfile

    stereo = np.stack([np.full(16000, 0.5), np.full(16000, -0.1)], axis=1).astype(np.float32)
    soundfile.write(tmp_path / "ref.wav", stereo, 16000)

    audio = read_reference_audio(tmp_path / "ref.wav", 22050)

    assert tuple(audio.shape) == (1, 22050)
    assert float(audio[0, 11025]) == pytest.approx(0.2, abs=1e-3)


def test_importing_the_engine_loads_no_torch():
    code = "import sys, builder.tts.coqui; print(sorted({'torch', 'TTS'} & set(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[3],
    )

    assert result.stdout.strip() == "[]"
