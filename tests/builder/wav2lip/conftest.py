"""Shared data for the Wav2Lip tests: a real face photo and random-weight published checkpoints."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from builder.media import MediaFormat
from builder.tts.base import Speech

ASTRONAUT_SIZE = (512, 512)
FMT = MediaFormat(width=512, height=512, fps=25, preset="ultrafast")


@pytest.fixture(scope="session")
def astronaut_image() -> np.ndarray:
    data = pytest.importorskip("skimage.data")
    return data.astronaut()


@pytest.fixture
def astronaut(tmp_path, astronaut_image) -> Path:
    from PIL import Image

    path = tmp_path / "astronaut.png"
    Image.fromarray(astronaut_image).save(path)
    return path


def random_generator(seed: int = 0):
    """A Wav2Lip generator with random weights and random BatchNorm statistics (as trained ones have)."""
    import torch

    from builder.lipsync.wav2lip.model import Wav2Lip

    torch.manual_seed(seed)
    model = Wav2Lip()
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.normal_(0, 0.1)
            module.running_var.uniform_(0.5, 1.5)
            module.weight.data.uniform_(0.5, 1.5)
            module.bias.data.normal_(0, 0.1)
    return model.eval()


def save_published(model, path: Path, *, data_parallel: bool) -> Path:
    """Write the model as the published checkpoints are: a dict with `state_dict` and training state."""
    import torch

    prefix = "module." if data_parallel else ""
    state = {prefix + name: tensor for name, tensor in model.state_dict().items()}
    torch.save({"state_dict": state, "optimizer": {"state": {}}, "global_step": 1, "global_epoch": 1}, path)
    return path


@pytest.fixture(scope="session")
def checkpoint(tmp_path_factory) -> Path:
    pytest.importorskip("torch")
    return save_published(
        random_generator(), tmp_path_factory.mktemp("w2l") / "wav2lip.pth", data_parallel=True
    )


def noise_speech(seconds: float, rate: int = 22_050, seed: int = 0) -> Speech:
    rng = np.random.default_rng(seed)
    return Speech((rng.standard_normal(int(seconds * rate)) * 4000).astype(np.int16), rate)
