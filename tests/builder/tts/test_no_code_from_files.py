"""No code from files: every loader that takes a checkpoint (Coqui through our engine, Wav2Lip,
MuseTalk's UNet) refuses one whose pickle would run code, and the code never runs; a Coqui model
loads only from the installed models or the owner's TTS_MODEL_PATH, never from a path a persona
names. The models are real, tiny and random (tests/builder/tts/test_coqui.py builds them)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from builder.tts.base import TTSError, VoiceSettings
from builder.weights import UnsafeWeights, load_weights, only_weights
from tests.builder.tts.pickle_bombs import save_bomb, save_numpy_bomb

torch = pytest.importorskip("torch")


@pytest.fixture
def marker(tmp_path: Path) -> Path:
    return tmp_path / "code-ran"


@pytest.fixture(scope="module")
def vits_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("TTS")
    from tests.builder.tts.test_coqui import build_tiny_vits

    return build_tiny_vits(tmp_path_factory.mktemp("safety") / "tiny-vits", speakers=["alice", "bob"])


def copy_model(source: Path, target: Path) -> Path:
    """`source` at `target`, its config's speakers file pointed at the copy (as an install does)."""
    shutil.copytree(source, target)
    config = json.loads((target / "config.json").read_text())
    for holder in (config, config["model_args"]):
        holder["speakers_file"] = str(target / "speakers.json")
    (target / "config.json").write_text(json.dumps(config))
    return target


def engine(default: Path | str = "", voices_dir: Path | str = ""):
    from builder.tts.coqui import CoquiEngine

    return CoquiEngine(model_path=default, voices_dir=voices_dir)


def test_the_bomb_runs_code_when_unpickled_without_weights_only(tmp_path, marker):
    # What every test below guards against, shown once: a plain torch.load runs the file's code.
    path = save_bomb(tmp_path / "model.pth", marker)
    torch.load(path, weights_only=False)
    assert marker.exists()


def test_reading_weights_refuses_a_checkpoint_that_carries_code(tmp_path, marker):
    path = save_bomb(tmp_path / "model.pth", marker)

    with pytest.raises(UnsafeWeights, match=r"model\.pth was refused: .*pickled Python objects.*exec"):
        load_weights(path)
    assert not marker.exists()


def test_inside_the_guard_a_loader_asking_for_pickles_gets_weights_only(tmp_path, marker):
    # Coqui's Bark loader passes weights_only=False, its audio statistics use allow_pickle=True:
    # the guard overrides both, whatever a library asks for.
    checkpoint, array = save_bomb(tmp_path / "a.pth", marker), save_numpy_bomb(tmp_path / "b.npy", marker)
    import numpy as np

    with only_weights():
        with pytest.raises(Exception, match="Unsupported global"):
            torch.load(checkpoint, weights_only=False)
        with pytest.raises(ValueError, match="allow_pickle=False"):
            np.load(array, allow_pickle=True)
    assert not marker.exists()
    assert torch.load is torch.serialization.load and "weights_only_load" not in repr(torch.load)


def test_coqui_refuses_a_checkpoint_that_carries_code(vits_source, tmp_path, marker):
    model = copy_model(vits_source, tmp_path / "tampered")
    weights = torch.load(vits_source / "model.pth", weights_only=True)["model"]
    save_bomb(model / "model.pth", marker, weights)

    with pytest.raises(TTSError, match=r"Refused the Coqui model .*model\.pth: .*pickled Python objects"):
        engine(default=model).synthesize("Hello.", VoiceSettings())
    assert not marker.exists()


def test_coqui_refuses_a_speakers_file_that_carries_code(vits_source, tmp_path, marker):
    model = copy_model(vits_source, tmp_path / "tampered-speakers")
    save_bomb(model / "speakers.pth", marker, {"alice": 0, "bob": 1}, key="speakers")
    config = json.loads((model / "config.json").read_text())
    for holder in (config, config["model_args"]):
        holder["speakers_file"] = str(model / "speakers.pth")
    (model / "config.json").write_text(json.dumps(config))

    with pytest.raises(TTSError, match=r"Refused the Coqui model .*speakers\.pth was refused"):
        engine(default=model).synthesize("Hello.", VoiceSettings())
    assert not marker.exists()


def test_wav2lip_refuses_a_checkpoint_that_carries_code(tmp_path, marker):
    from builder.lipsync.wav2lip.checkpoint import CheckpointError, load_generator

    path = save_bomb(tmp_path / "wav2lip.pth", marker, key="state_dict")

    with pytest.raises(CheckpointError, match=r"wav2lip\.pth was refused: .*pickled Python objects"):
        load_generator(path)
    assert not marker.exists()


def test_musetalk_refuses_a_unet_that_carries_code(tmp_path, marker):
    pytest.importorskip("diffusers")
    from bench.musetalk_models import UNET_TINY
    from builder.lipsync.musetalk.files import MuseTalkFiles, MuseTalkFilesError, load_unet

    root = tmp_path / "musetalk"
    for name in ("sd-vae/config.json", "whisper/config.json", "whisper/preprocessor_config.json"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("{}")  # present for `find`; never loaded here
    (root / "musetalkV15").mkdir()
    (root / "musetalkV15" / "musetalk.json").write_text(json.dumps(UNET_TINY))
    save_bomb(root / "musetalkV15" / "unet.pth", marker)

    with pytest.raises(MuseTalkFilesError, match=r"unet\.pth: unet\.pth was refused: .*pickled"):
        load_unet(MuseTalkFiles.find(root), "cpu", torch.float32)
    assert not marker.exists()


def test_a_model_path_outside_the_installed_folders_is_refused_unread(vits_source, tmp_path, marker):
    elsewhere = copy_model(vits_source, tmp_path / "uploads" / "model")
    save_bomb(elsewhere / "model.pth", marker)
    voices = tmp_path / "voices"
    default = copy_model(vits_source, tmp_path / "owners-model")

    with pytest.raises(TTSError, match=r"model path .*uploads/model is refused: Coqui models load only from"):
        engine(default, voices).synthesize("Hello.", VoiceSettings(model_path=str(elsewhere)))
    assert not marker.exists()


def test_a_link_out_of_the_installed_folder_is_refused(vits_source, tmp_path):
    voices = tmp_path / "voices"
    (voices / "coqui").mkdir(parents=True)
    outside = copy_model(vits_source, tmp_path / "outside")
    (voices / "coqui" / "linked").symlink_to(outside, target_is_directory=True)

    linked = VoiceSettings(model_path=str(voices / "coqui" / "linked"))
    with pytest.raises(TTSError, match="is refused"):
        engine(voices_dir=voices).synthesize("Hi.", linked)
    with pytest.raises(TTSError, match="No Coqui model configured"):  # not an installed model
        engine(voices_dir=voices).synthesize("Hi.", VoiceSettings(voice="linked"))


def test_the_owners_model_and_the_installed_ones_load(vits_source, tmp_path):
    voices = tmp_path / "voices"
    copy_model(vits_source, voices / "coqui" / "mine")
    default = copy_model(vits_source, tmp_path / "owners-model")
    coqui = engine(default, voices)

    assert coqui.synthesize("Hi.", VoiceSettings(voice="mine#bob")).duration > 0
    assert coqui.synthesize("Hi.", VoiceSettings(voice="alice")).duration > 0  # the default model's
    assert coqui.locate(VoiceSettings(voice="mine#bob")) == (voices / "coqui" / "mine", "bob")
    assert coqui.locate(VoiceSettings(model_path=str(default / "model.pth")))[0] == default / "model.pth"


def test_a_model_that_is_not_installed_is_named(tmp_path):
    with pytest.raises(TTSError, match=r"no Coqui model 'ghost' is installed in .*voices/coqui"):
        engine(voices_dir=tmp_path / "voices").locate(VoiceSettings(voice="ghost#alice"))


def test_a_reference_recording_is_a_file_in_the_models_folder_never_a_path(vits_source):
    refused = r"named by its file name in the model's folder .*'/etc/x\.wav' is refused"
    with pytest.raises(TTSError, match=refused):
        engine(default=vits_source).synthesize("Hi.", VoiceSettings(voice="/etc/x.wav"))


def test_a_config_naming_files_outside_its_folder_is_refused(vits_source, tmp_path):
    model = copy_model(vits_source, tmp_path / "model")
    config = json.loads((model / "config.json").read_text())
    config["model_args"]["speakers_file"] = str(vits_source / "speakers.json")
    (model / "config.json").write_text(json.dumps(config))

    with pytest.raises(TTSError, match=r"names files outside the model's folder \(.*speakers\.json\)"):
        engine(default=model).synthesize("Hi.", VoiceSettings())


def test_only_the_model_types_whose_loaders_were_read_are_loaded(tmp_path):
    from builder.tts.coqui_files import resolve_model_files

    (tmp_path / "config.json").write_text(json.dumps({"model": "bark"}))
    with pytest.raises(TTSError, match="Coqui bark models are not supported: the studio loads vits and xtts"):
        resolve_model_files(tmp_path)
