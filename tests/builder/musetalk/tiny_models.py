"""Tiny MuseTalk 1.5 models with random weights, saved in the layouts a user downloads (the UNet's
config JSON + state dict, `AutoencoderKL.save_pretrained`, whisper `save_pretrained` with its
feature extractor): the real loaders read them. Only the shapes MuseTalk relies on are kept real:
8 latent channels in, 4 out, cross-attention width 384, a VAE that downsamples 8x, whisper's
384-wide hidden states (5 of them: embeddings + 4 layers, as whisper-tiny)."""

from __future__ import annotations

import json
from pathlib import Path

import torch


def write_models(root: Path) -> Path:
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from transformers import WhisperConfig, WhisperFeatureExtractor, WhisperModel

    torch.manual_seed(0)
    unet = UNet2DConditionModel(
        sample_size=32,
        in_channels=8,
        out_channels=4,
        down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
        block_out_channels=(16, 32),
        layers_per_block=1,
        cross_attention_dim=384,
        attention_head_dim=4,
        norm_num_groups=8,
    )
    (root / "musetalkV15").mkdir(parents=True)
    config = {k: list(v) if isinstance(v, tuple) else v for k, v in dict(unet.config).items()}
    (root / "musetalkV15" / "musetalk.json").write_text(json.dumps(config))
    torch.save(unet.state_dict(), root / "musetalkV15" / "unet.pth")

    vae = AutoencoderKL(
        down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4,
        block_out_channels=(8, 8, 8, 8),
        layers_per_block=1,
        latent_channels=4,
        norm_num_groups=4,
        sample_size=256,
    )
    vae.save_pretrained(root / "sd-vae")

    whisper = WhisperModel(
        WhisperConfig(
            d_model=384, encoder_layers=4, encoder_attention_heads=4, encoder_ffn_dim=64,
            decoder_layers=1, decoder_attention_heads=4, decoder_ffn_dim=64, vocab_size=64,
            num_mel_bins=80, max_source_positions=1500, max_target_positions=16,
            pad_token_id=0, bos_token_id=1, eos_token_id=2, decoder_start_token_id=1,
            suppress_tokens=None, begin_suppress_tokens=None,
        )
    )  # fmt: skip
    whisper.save_pretrained(root / "whisper")
    WhisperFeatureExtractor(feature_size=80).save_pretrained(root / "whisper")
    return root
