"""Tiny MuseTalk 1.5 models with random weights, saved in the layouts a user downloads (the UNet's
config JSON + state dict, `AutoencoderKL.save_pretrained`, whisper `save_pretrained` with its
feature extractor): the real loaders read them. Only the shapes MuseTalk relies on are kept real:
8 latent channels in, 4 out, cross-attention width 384, a VAE that downsamples 8x, whisper's
384-wide hidden states (5 of them: embeddings + 4 layers, as whisper-tiny). The same models the
benchmark's CPU dry run uses (bench/musetalk_models.py)."""

from __future__ import annotations

from pathlib import Path

from bench.musetalk_models import save


def write_models(root: Path) -> Path:
    return save(root, tiny=True)
