import pytest

torch = pytest.importorskip("torch")

from builder.lipsync.wav2lip.checkpoint import CheckpointError, load_generator  # noqa: E402
from builder.lipsync.wav2lip.model import fold_batchnorm  # noqa: E402
from tests.builder.wav2lip.conftest import random_generator, save_published  # noqa: E402


@pytest.mark.parametrize("data_parallel", [True, False])
def test_a_checkpoint_in_the_published_layout_loads_every_weight(tmp_path, data_parallel):
    original = random_generator(seed=3)
    path = save_published(original, tmp_path / "wav2lip.pth", data_parallel=data_parallel)

    loaded = load_generator(path)

    expected = original.state_dict()
    assert set(loaded.state_dict()) == set(expected)
    assert all(torch.equal(loaded.state_dict()[k], v) for k, v in expected.items())
    assert not loaded.training
    # The published layout: conv blocks are (conv, batch norm) under `conv_block`.
    assert "face_encoder_blocks.0.0.conv_block.1.running_var" in expected
    assert "output_block.1.weight" in expected
    assert 36e6 < sum(p.numel() for p in loaded.parameters()) < 37e6


def test_the_generator_maps_mel_and_faces_to_a_96px_face():
    model = random_generator()
    with torch.inference_mode():
        out = model(torch.randn(2, 1, 80, 16), torch.rand(2, 6, 96, 96))
    assert out.shape == (2, 3, 96, 96)
    assert out.min() >= 0 and out.max() <= 1


def test_a_checkpoint_of_another_network_is_refused_with_the_reason(tmp_path):
    state = random_generator().state_dict()
    state.pop("output_block.1.weight")
    state["extra.weight"] = torch.zeros(1)
    path = tmp_path / "other.pth"
    torch.save({"state_dict": state}, path)

    with pytest.raises(CheckpointError, match=r"1 weights missing.*output_block\.1\.weight.*1 unexpected"):
        load_generator(path)


def test_a_missing_or_corrupt_file_is_a_clear_error(tmp_path):
    with pytest.raises(CheckpointError, match="no Wav2Lip checkpoint"):
        load_generator(tmp_path / "absent.pth")
    (tmp_path / "junk.pth").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="could not be read"):
        load_generator(tmp_path / "junk.pth")


def test_folding_batchnorm_keeps_the_output():
    model = random_generator(seed=5)
    mel, faces = torch.randn(3, 1, 80, 16), torch.rand(3, 6, 96, 96)
    with torch.inference_mode():
        before = model(mel, faces)
        after = fold_batchnorm(model)(mel, faces)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in model.modules())
    torch.testing.assert_close(after, before, atol=1e-4, rtol=1e-4)
