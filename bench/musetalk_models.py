"""MuseTalk 1.5's models with random weights, at the published sizes (for GPU timings: speed does
not depend on the weights) or tiny (for a CPU dry run), built in memory or saved in the published
layout. Django-free: the GPU check runs it on a machine without the studio installed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

# musetalkV15/musetalk.json as MuseTalk 1.5 publishes it (an SD-1.x UNet: 8 channels in,
# cross-attention on whisper-tiny's 384-wide features).
UNET_PUBLISHED = {
    "act_fn": "silu", "attention_head_dim": 8, "block_out_channels": [320, 640, 1280, 1280],
    "center_input_sample": False, "cross_attention_dim": 384,
    "down_block_types": ["CrossAttnDownBlock2D"] * 3 + ["DownBlock2D"],
    "downsample_padding": 1, "flip_sin_to_cos": True, "freq_shift": 0, "in_channels": 8,
    "layers_per_block": 2, "mid_block_scale_factor": 1, "norm_eps": 1e-05, "norm_num_groups": 32,
    "out_channels": 4, "sample_size": 64,
    "up_block_types": ["UpBlock2D"] + ["CrossAttnUpBlock2D"] * 3,
}  # fmt: skip
UNET_TINY = {
    "sample_size": 32, "in_channels": 8, "out_channels": 4, "block_out_channels": [16, 32],
    "down_block_types": ["CrossAttnDownBlock2D", "DownBlock2D"],
    "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D"], "layers_per_block": 1,
    "cross_attention_dim": 384, "attention_head_dim": 4, "norm_num_groups": 8,
}  # fmt: skip
# sd-vae-ft-mse's AutoencoderKL.
VAE_PUBLISHED = {"block_out_channels": [128, 256, 512, 512], "layers_per_block": 2, "norm_num_groups": 32}
VAE_TINY = {"block_out_channels": [8, 8, 8, 8], "layers_per_block": 1, "norm_num_groups": 4}
# whisper-tiny's encoder: 4 layers of width 384 (only the encoder runs).
WHISPER_PUBLISHED = {"encoder_layers": 4, "encoder_attention_heads": 6, "encoder_ffn_dim": 1536}
WHISPER_TINY = {"encoder_layers": 4, "encoder_attention_heads": 4, "encoder_ffn_dim": 64}


def build(tiny: bool) -> tuple[Any, Any, Any, Any]:
    """(unet, vae, whisper model, feature extractor) with random weights, on the CPU in fp32."""
    import torch
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from transformers import WhisperConfig, WhisperFeatureExtractor, WhisperModel

    torch.manual_seed(0)
    unet = UNet2DConditionModel(**(UNET_TINY if tiny else UNET_PUBLISHED))
    vae = AutoencoderKL(
        down_block_types=["DownEncoderBlock2D"] * 4, up_block_types=["UpDecoderBlock2D"] * 4,
        latent_channels=4, sample_size=256, scaling_factor=0.18215, **(VAE_TINY if tiny else VAE_PUBLISHED),
    )  # fmt: skip
    whisper = WhisperModel(
        WhisperConfig(
            d_model=384, decoder_layers=1, decoder_attention_heads=4, decoder_ffn_dim=64, vocab_size=64,
            num_mel_bins=80, max_source_positions=1500, max_target_positions=16, pad_token_id=0,
            bos_token_id=1, eos_token_id=2, decoder_start_token_id=1, suppress_tokens=None,
            begin_suppress_tokens=None, **(WHISPER_TINY if tiny else WHISPER_PUBLISHED),
        )
    )  # fmt: skip
    return unet, vae, whisper, WhisperFeatureExtractor(feature_size=80)


def save(root: Path, tiny: bool = True) -> Path:
    """The models in the layout a user downloads (MUSETALK_DIR)."""
    import torch

    unet, vae, whisper, extractor = build(tiny)
    (root / "musetalkV15").mkdir(parents=True, exist_ok=True)
    config = {k: list(v) if isinstance(v, tuple) else v for k, v in dict(unet.config).items()}
    (root / "musetalkV15" / "musetalk.json").write_text(json.dumps(config))
    torch.save(unet.state_dict(), root / "musetalkV15" / "unet.pth")
    vae.save_pretrained(root / "sd-vae")
    whisper.save_pretrained(root / "whisper")
    extractor.save_pretrained(root / "whisper")
    return root
