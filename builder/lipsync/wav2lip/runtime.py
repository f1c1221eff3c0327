"""Where and how the generator runs: device, precision, and one loaded model per process.

On CUDA the generator runs in fp16 (or bf16) with channels_last tensors and BatchNorm folded into
the convolutions, and cuDNN picks its fastest kernels for the batch shapes seen at warm-up. On the
CPU it runs in fp32: useful for tests and small jobs, far too slow for a live stream.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import torch

from builder.lipsync.base import LipSyncError
from builder.lipsync.wav2lip.checkpoint import load_generator
from builder.lipsync.wav2lip.model import Wav2Lip, fold_batchnorm

PRECISIONS = {"fp16": torch.float16, "bf16": torch.bfloat16, "fp32": torch.float32}


class NoDeviceError(LipSyncError):
    """No CUDA GPU, and running on the CPU was not allowed."""


def pick_device(requested: str = "auto", *, allow_cpu: bool = False) -> torch.device:
    """ "auto": the first CUDA GPU, else the CPU if `allow_cpu`, else NoDeviceError."""
    if requested == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if allow_cpu:
            return torch.device("cpu")
        raise NoDeviceError("no CUDA GPU (set WAV2LIP_ALLOW_CPU=1 to run it on the CPU, slowly)")
    device = torch.device(requested)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise NoDeviceError("CUDA was asked for but torch sees no GPU")
    return device


@dataclass
class Generator:
    """The generator on its device at its precision; call it with mel windows and face inputs."""

    model: Wav2Lip
    device: torch.device
    dtype: torch.dtype

    @classmethod
    def prepare(cls, model: Wav2Lip, device: torch.device, precision: str = "fp16") -> Generator:
        dtype = PRECISIONS[precision] if device.type == "cuda" else torch.float32
        model = fold_batchnorm(model.eval())
        model = model.to(device=device, dtype=dtype, memory_format=torch.channels_last)
        if device.type == "cuda":
            torch.backends.cudnn.benchmark = True
        return cls(model, device, dtype)

    @torch.inference_mode()
    def __call__(self, mel: torch.Tensor, faces: torch.Tensor) -> torch.Tensor:
        mel = mel.to(self.device, self.dtype).contiguous(memory_format=torch.channels_last)
        faces = faces.to(self.device, self.dtype).contiguous(memory_format=torch.channels_last)
        return self.model(mel, faces)


_loaded: dict[tuple[str, str, str], Generator] = {}
_lock = threading.Lock()


def load(checkpoint: Path, device: torch.device, precision: str = "fp16") -> Generator:
    """The generator of `checkpoint`, loaded once per process (then shared by every engine)."""
    key = (str(Path(checkpoint).resolve()), str(device), precision)
    with _lock:
        if key not in _loaded:
            _loaded[key] = Generator.prepare(load_generator(Path(checkpoint)), device, precision)
        return _loaded[key]
