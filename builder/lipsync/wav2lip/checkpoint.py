"""Reading a published Wav2Lip checkpoint into our generator, strictly.

The published files are `torch.save({"state_dict": ..., "optimizer": ..., "global_step": ...})`;
models trained with DataParallel prefix every key with `module.`. Both forms load. The file is read
as weights only (builder/weights.py): a downloaded checkpoint is data, never code to run, and one
that carries pickled code is refused before any of it runs.
"""

from __future__ import annotations

from pathlib import Path

import torch

from builder.lipsync.base import LipSyncError
from builder.lipsync.wav2lip.model import Wav2Lip
from builder.weights import UnsafeWeights, load_weights

PREFIX = "module."


class CheckpointError(LipSyncError):
    """The file is missing, unreadable, or not a Wav2Lip generator checkpoint."""


def read_state_dict(path: Path) -> dict[str, torch.Tensor]:
    """The generator weights in `path`, keys without the DataParallel prefix."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"no Wav2Lip checkpoint at {path}")
    try:
        data = load_weights(path)
    except UnsafeWeights as exc:
        raise CheckpointError(str(exc)) from None
    except Exception as exc:  # pickle, zip and torch errors all mean "not a usable checkpoint"
        raise CheckpointError(f"{path.name} could not be read as a torch checkpoint: {exc}") from exc
    state = data.get("state_dict", data) if isinstance(data, dict) else None
    if not isinstance(state, dict) or not state:
        raise CheckpointError(f"{path.name} holds no state_dict")
    return {(k[len(PREFIX) :] if k.startswith(PREFIX) else k): v for k, v in state.items()}


def load_generator(path: Path) -> Wav2Lip:
    """A Wav2Lip generator (CPU, fp32, eval mode) with every weight from `path` and none missing."""
    state = read_state_dict(path)
    model = Wav2Lip()
    missing, unexpected = _mismatch(model, state)
    if missing or unexpected:
        raise CheckpointError(
            f"{Path(path).name} is not a Wav2Lip generator checkpoint: "
            f"{len(missing)} weights missing (e.g. {missing[:3]}), "
            f"{len(unexpected)} unexpected (e.g. {unexpected[:3]})"
        )
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:  # same names, other shapes: another variant of the network
        raise CheckpointError(f"{Path(path).name} does not match the Wav2Lip generator: {exc}") from exc
    return model.eval()


def _mismatch(model: torch.nn.Module, state: dict[str, torch.Tensor]) -> tuple[list[str], list[str]]:
    expected = set(model.state_dict())
    return sorted(expected - set(state)), sorted(set(state) - expected)
