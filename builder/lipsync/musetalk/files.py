"""MuseTalk 1.5's model files, loaded as a user downloads them (torch, diffusers, transformers;
no Django). The folder `MUSETALK_DIR` holds:

    musetalkV15/musetalk.json   the UNet's diffusers config (UNet2DConditionModel: 8 input
    musetalkV15/unet.pth        channels, cross-attention width 384) and its state dict
    sd-vae/                     diffusers AutoencoderKL (sd-vae-ft-mse), `save_pretrained` layout
    whisper/                    whisper-tiny in transformers layout, with its feature extractor
    face-parse-bisent/79999_iter.pth   optional: face parsing for blend masks

A missing or wrong file is a `MuseTalkFilesError` naming it; weights are never downloaded here.
Every file is read as weights only (builder/weights.py): the UNet's state dict through
`load_weights`, the VAE and whisper (safetensors, or `.bin` pickles) inside `only_weights()`, so
a file carrying pickled code is refused before any of it runs.
"""

from __future__ import annotations

import json
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from builder.lipsync.base import LipSyncError
from builder.weights import UnsafeWeights, load_weights, only_weights, unsafe_reason

UNET_CONFIG = Path("musetalkV15/musetalk.json")
UNET_WEIGHTS = Path("musetalkV15/unet.pth")
VAE = Path("sd-vae")
WHISPER = Path("whisper")
FACE_PARSING = Path("face-parse-bisent/79999_iter.pth")
LATENT_CHANNELS = 8  # masked + reference latents, 4 channels each
AUDIO_WIDTH = 384  # whisper-tiny's hidden size: the UNet's cross-attention width


class MuseTalkFilesError(LipSyncError):
    """A MuseTalk model file is missing or is not what MuseTalk 1.5 publishes."""


@dataclass(frozen=True)
class MuseTalkFiles:
    root: Path
    unet_config: Path
    unet_weights: Path
    vae: Path
    whisper: Path
    face_parsing: Path | None

    @classmethod
    def find(cls, root: Path | str) -> MuseTalkFiles:
        root = Path(root)
        if not root.is_dir():
            raise MuseTalkFilesError(f"MUSETALK_DIR {root} is not a folder")
        wanted = {
            UNET_CONFIG: "the UNet's config",
            UNET_WEIGHTS: "the UNet's weights",
            VAE / "config.json": "the VAE (sd-vae-ft-mse, diffusers layout)",
            WHISPER / "config.json": "whisper-tiny (transformers layout)",
            WHISPER / "preprocessor_config.json": "whisper-tiny's feature extractor",
        }
        for relative, what in wanted.items():
            if not (root / relative).is_file():
                raise MuseTalkFilesError(f"{root / relative} is missing: {what}")
        parsing = root / FACE_PARSING
        return cls(
            root, root / UNET_CONFIG, root / UNET_WEIGHTS, root / VAE, root / WHISPER,
            parsing if parsing.is_file() else None,
        )  # fmt: skip


def load_unet(files: MuseTalkFiles, device: Any, dtype: Any) -> Any:
    """The UNet from its config and state dict, checked against MuseTalk 1.5's shape."""
    from diffusers import UNet2DConditionModel

    try:
        config = json.loads(files.unet_config.read_text())
    except (OSError, ValueError) as exc:
        raise MuseTalkFilesError(f"{files.unet_config} cannot be read as JSON: {exc}") from None
    if config.get("in_channels") != LATENT_CHANNELS or config.get("cross_attention_dim") != AUDIO_WIDTH:
        raise MuseTalkFilesError(
            f"{files.unet_config} is not MuseTalk's UNet: in_channels {config.get('in_channels')}, "
            f"cross_attention_dim {config.get('cross_attention_dim')} (expected "
            f"{LATENT_CHANNELS} and {AUDIO_WIDTH})"
        )
    try:
        unet = UNet2DConditionModel.from_config(config)
    except (TypeError, ValueError) as exc:
        raise MuseTalkFilesError(f"{files.unet_config} is not a UNet2DConditionModel config: {exc}") from None
    try:
        state = load_weights(files.unet_weights)
    except UnsafeWeights as exc:
        raise MuseTalkFilesError(f"{files.unet_weights}: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - torch raises many kinds for a bad file
        raise MuseTalkFilesError(f"{files.unet_weights} cannot be loaded: {type(exc).__name__}") from None
    if not isinstance(state, dict):
        raise MuseTalkFilesError(f"{files.unet_weights} is not a state dict")
    try:
        missing, unexpected = unet.load_state_dict(state, strict=False)
    except RuntimeError as exc:  # weights of other shapes than the config's
        first = str(exc).strip().splitlines()[-1].strip()
        raise MuseTalkFilesError(
            f"{files.unet_weights} does not match {files.unet_config.name}: {first}"
        ) from None
    if missing or unexpected:
        raise MuseTalkFilesError(
            f"{files.unet_weights} does not match {files.unet_config.name}: {len(missing)} weights "
            f"missing (e.g. {missing[:1]}), {len(unexpected)} unexpected (e.g. {unexpected[:1]})"
        )
    return unet.to(device=device, dtype=dtype).eval()


def load_vae(files: MuseTalkFiles, device: Any, dtype: Any) -> Any:
    from diffusers import AutoencoderKL

    try:
        with only_weights():
            vae = AutoencoderKL.from_pretrained(files.vae, local_files_only=True)
    except (OSError, ValueError, pickle.UnpicklingError) as exc:
        refused = unsafe_reason(exc)
        if refused is not None:
            raise MuseTalkFilesError(f"{files.vae}: {refused}") from None
        raise MuseTalkFilesError(f"{files.vae} is not a diffusers AutoencoderKL folder: {exc}") from None
    return vae.to(device=device, dtype=dtype).eval()


def load_whisper(files: MuseTalkFiles, device: Any, dtype: Any) -> tuple[Any, Any]:
    """(whisper-tiny's encoder, its feature extractor)."""
    from transformers import AutoFeatureExtractor, WhisperModel

    try:
        with only_weights():
            model = WhisperModel.from_pretrained(files.whisper, local_files_only=True)
            extractor = AutoFeatureExtractor.from_pretrained(files.whisper, local_files_only=True)
    except (OSError, ValueError, pickle.UnpicklingError) as exc:
        refused = unsafe_reason(exc)
        if refused is not None:
            raise MuseTalkFilesError(f"{files.whisper}: {refused}") from None
        raise MuseTalkFilesError(f"{files.whisper} is not a Whisper model folder: {exc}") from None
    if model.config.d_model != AUDIO_WIDTH:
        width = model.config.d_model
        raise MuseTalkFilesError(f"{files.whisper} has width {width}: MuseTalk 1.5 uses whisper-tiny")
    return model.encoder.to(device=device, dtype=dtype).eval(), extractor
