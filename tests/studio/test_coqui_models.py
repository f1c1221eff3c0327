"""Coqui models are installed like the other voices (`manage.py voices add FOLDER`) and a persona
names one; a model path from anywhere else, or a model that carries code, is refused with the
reason and never read. Real tiny VITS models (tests/builder/tts/test_coqui.py builds them)."""

from __future__ import annotations

import json
import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from builder.engines import tts_for, voice_problem, with_defaults
from builder.tts import TTSError
from builder.tts.base import VoiceSettings
from tests.builder.tts.pickle_bombs import save_bomb
from tests.studio.test_personas_views import form_data

pytestmark = pytest.mark.django_db
pytest.importorskip("TTS")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.builder.tts.test_coqui import build_tiny_vits

    return build_tiny_vits(tmp_path_factory.mktemp("downloads") / "tiny-vits", speakers=["alice", "bob"])


@pytest.fixture
def download(built, tmp_path) -> Path:
    """The model as downloaded: checkpoint, config (naming its speakers file where it was trained),
    a licence, and things that are not the model."""
    folder = tmp_path / "downloads" / "tiny-vits"
    shutil.copytree(built, folder)
    (folder / "LICENSE.txt").write_text("MIT License\n\nCopyright ...\n")
    (folder / ".gitattributes").write_text("*.pth filter=lfs\n")
    (folder / "samples").mkdir()
    return folder


@pytest.fixture(autouse=True)
def voices_dir(settings, tmp_path, fresh_engines) -> Path:
    settings.VOICES_DIR = tmp_path / "installed"
    settings.TTS_MODEL_PATH = ""
    return settings.VOICES_DIR


def voices(*args: str) -> str:
    out = StringIO()
    call_command("voices", *args, stdout=out)
    return out.getvalue()


def persona_speaking(voice: dict) -> dict:
    return {"name": "Test", "language": "en", "llm": {}, "voice": {"engine": "coqui", **voice}}


def test_a_model_added_with_voices_add_is_named_by_a_persona_and_speaks(download, voices_dir):
    said = voices("add", str(download))

    listed = "tiny-vits (Coqui vits model): language not stated, 16000 Hz, 2 speakers; licence: MIT License"
    assert f"installed {listed}" in said
    assert "left out: .gitattributes, samples/" in said
    installed = voices_dir / "coqui" / "tiny-vits"
    config = json.loads((installed / "config.json").read_text())
    assert config["model_args"]["speakers_file"] == str(installed / "speakers.json")
    sums = (installed / "SHA256SUMS").read_text()
    assert "  model.pth\n" in sums and "  config.json\n" in sums
    assert not [p for p in voices_dir.iterdir() if p.name.startswith(".incoming")]
    assert listed in voices("list")

    shutil.rmtree(download)  # the studio reads the installed copy only
    data = with_defaults(persona_speaking({"voice": "tiny-vits#bob"}))
    speech = tts_for(data).synthesize("Peace be with you.", VoiceSettings(voice="tiny-vits#bob"))
    assert speech.sample_rate == 16000 and speech.duration > 0
    assert data["voice"]["model_path"] == str(installed)  # what the System page checks


def test_adding_it_again_replaces_the_installed_model_only_once_the_new_one_loads(download, voices_dir):
    voices("add", str(download))
    (download / "model.pth").write_bytes(b"not a checkpoint")

    with pytest.raises(CommandError, match=r"model\.pth cannot be read as a torch checkpoint"):
        voices("add", str(download))
    installed = voices_dir / "coqui" / "tiny-vits"
    still = tts_for(with_defaults(persona_speaking({"voice": "tiny-vits"})))
    assert still.synthesize("Hi.", VoiceSettings(voice="tiny-vits")).duration > 0
    assert (installed / "model.pth").stat().st_size > 1000


def test_a_model_that_carries_code_is_refused_and_nothing_is_installed(download, voices_dir, tmp_path):
    marker = tmp_path / "code-ran"
    save_bomb(download / "model.pth", marker)

    with pytest.raises(CommandError, match=r"not installed: model\.pth was refused: .*pickled Python"):
        voices("add", str(download))
    assert not marker.exists()
    assert not (voices_dir / "coqui").exists()
    assert not [p for p in voices_dir.iterdir() if p.name.startswith(".incoming")]


def test_a_persona_naming_a_model_path_outside_the_installed_folders_is_refused(built, tmp_path, settings):
    elsewhere = tmp_path / "media" / "avatars" / "model"
    shutil.copytree(built, elsewhere)
    marker = tmp_path / "code-ran"
    save_bomb(elsewhere / "model.pth", marker)
    settings.TTS_MODEL_PATH = str(built)  # the owner's model is allowed; this path is not

    for engine in ("coqui", "piper"):
        data = with_defaults(persona_speaking({"engine": engine, "model_path": str(elsewhere)}))
        assert "is refused" in voice_problem(data)
        with pytest.raises(TTSError, match=r"model path .*media/avatars/model is refused: .* load only from"):
            tts_for(data).synthesize("Hello.", VoiceSettings(model_path=str(elsewhere)))
    assert not marker.exists()
    assert voice_problem(with_defaults(persona_speaking({"voice": "alice"}))) == ""


def test_the_persona_editor_takes_an_installed_model_and_refuses_paths(
    download, owner, client, persona, voices_dir
):
    voices("add", str(download))
    client.force_login(owner)
    edit = reverse("persona-edit", args=[persona.pk])

    for voice, message in [
        ("ghost#bob", "no Coqui model 'ghost' is installed"),
        ("tiny-vits#../../etc/x.wav", "not a path"),
        ("tiny-vits#me.wav", "No recording me.wav is in the model's folder"),
    ]:
        response = client.post(edit, form_data(persona, voice_engine="coqui", voice_name=voice))
        assert response.status_code == 400
        assert message in " ".join(response.context["form"].errors["voice_name"])

    response = client.post(edit, form_data(persona, voice_engine="coqui", voice_name="tiny-vits#bob"))
    assert response.status_code == 302
    persona.refresh_from_db()
    assert persona.voice["voice"] == "tiny-vits#bob" and "model_path" not in persona.voice


def save_original_xtts(path: Path, **extra: object) -> None:
    """Re-save the tiny XTTS checkpoint at `path` as XTTS-v2's original one is laid out: Coqui's
    config objects pickled beside the weights, under the module path they had then."""
    import torch
    from TTS.config import load_config
    from TTS.tts.configs.xtts_config import XttsArgs, XttsAudioConfig

    config = load_config(str(path.parent / "config.json"))
    state = torch.load(path, weights_only=True)["model"]
    moved = {cls: cls.__module__ for cls in (XttsArgs, XttsAudioConfig)}
    try:
        for cls in moved:
            cls.__module__ = "TTS.tts.models.xtts"
        torch.save({"model": state, "config": config, **extra}, path)
    finally:
        for cls, module in moved.items():
            cls.__module__ = module


@pytest.fixture(scope="module")
def tiny_xtts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.builder.tts.test_coqui import build_tiny_xtts

    return build_tiny_xtts(tmp_path_factory.mktemp("downloads") / "XTTS-v2")


@pytest.fixture
def original_xtts(tiny_xtts, tmp_path) -> Path:
    import numpy as np
    import soundfile

    download = tmp_path / "XTTS-v2"
    shutil.copytree(tiny_xtts, download)
    save_original_xtts(download / "model.pth")
    seconds = np.arange(3 * 16000) / 16000
    soundfile.write(download / "me.wav", 0.3 * np.sin(2 * np.pi * 220 * seconds), 16000)
    return download


def test_xtts_v2s_original_checkpoint_installs_with_its_recording(original_xtts, voices_dir):
    from builder.weights import load_weights

    assert "installed XTTS-v2 (Coqui xtts model): en, 24000 Hz" in voices("add", str(original_xtts))

    installed = voices_dir / "coqui" / "XTTS-v2"
    assert (installed / "me.wav").is_file()  # a persona clones it as XTTS-v2#me.wav
    # Coqui rewrote its config objects as plain data on the check's load: now weights only.
    assert set(load_weights(installed / "model.pth")) == {"model", "config"}
    assert voice_problem(with_defaults(persona_speaking({"voice": "XTTS-v2#me.wav"}))) == ""


def test_an_original_xtts_checkpoint_that_also_carries_code_is_refused(
    tiny_xtts, original_xtts, tmp_path, voices_dir
):
    from tests.builder.tts.pickle_bombs import Bomb

    marker = tmp_path / "code-ran"
    shutil.copyfile(tiny_xtts / "model.pth", original_xtts / "model.pth")
    save_original_xtts(original_xtts / "model.pth", extra=Bomb(marker))

    # Coqui's loader allows its own config classes in this file, and nothing more.
    with pytest.raises(CommandError, match=r"Refused the Coqui model .*model\.pth was refused: .*names exec"):
        voices("add", str(original_xtts))
    assert not marker.exists()
    assert not (voices_dir / "coqui").exists()
