"""MuseTalk 1.5's files and audio features: tiny random-weight models saved in the published
layouts load through the real loaders; features have MuseTalk's shapes for a given audio length
and frame rate; a missing or wrong file is named."""

from __future__ import annotations

import json
import math
import shutil

import numpy as np
import pytest
import torch

from builder.lipsync.musetalk.features import (
    WINDOW,
    frame_windows,
    positional_encoding,
    unet_audio,
    whisper_features,
)
from builder.lipsync.musetalk.files import MuseTalkFiles, MuseTalkFilesError, load_unet


def tone(seconds: float, rate: int) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (np.sin(2 * np.pi * 220 * t) * 8000).astype(np.int16)


def test_the_published_layout_loads_and_the_unet_takes_latents_and_audio(loaded):
    files, unet, vae, _, _ = loaded
    assert files.face_parsing is None  # optional: a feathered mask then
    latents = torch.randn(2, 8, 32, 32)
    audio = torch.randn(2, 50, 384)
    out = unet(latents, torch.tensor([0]), encoder_hidden_states=audio).sample
    assert out.shape == (2, 4, 32, 32)
    image = vae.decode(out / vae.config.scaling_factor).sample
    assert image.shape == (2, 3, 256, 256)


@pytest.mark.parametrize(
    ("seconds", "rate", "fps"), [(1.0, 22_050, 25), (2.5, 24_000, 30), (0.3, 16_000, 25)]
)
def test_features_follow_the_audio_length_and_the_frame_rate(loaded, seconds, rate, fps):
    *_, encoder, extractor = loaded
    features = whisper_features(tone(seconds, rate), rate, encoder, extractor)
    assert features.shape == (math.floor(seconds * 50), 5, 384)  # embeddings + 4 layers, 50 a second
    n = math.ceil(seconds * fps)
    windows = frame_windows(features, n, fps)
    assert windows.shape == (n, WINDOW * 5, 384) == (n, 50, 384)
    # Frame i reads 10 feature frames from floor(i * 50 / fps) of the padded features: two video
    # frames of context before (zeros at the start) and after.
    pad = math.ceil(50 / fps) * 2
    first = windows[0].reshape(WINDOW, 5, 384)
    assert torch.all(first[:pad] == 0) and torch.equal(first[pad:], features[: WINDOW - pad])
    i = n // 2
    start = math.floor(i * 50 / fps) - pad
    assert torch.equal(windows[i].reshape(WINDOW, 5, 384), features[start : start + WINDOW])
    assert unet_audio(windows).shape == windows.shape


def test_audio_longer_than_whisper_s_30_seconds_is_read_in_pieces(loaded):
    *_, encoder, extractor = loaded
    assert whisper_features(tone(31.0, 16_000), 16_000, encoder, extractor).shape == (1550, 5, 384)


def test_the_positional_encoding_is_musetalks_sinusoid():
    encoding = positional_encoding(50, 384)
    assert torch.allclose(encoding[0, 0::2], torch.zeros(192)) and torch.allclose(
        encoding[0, 1::2], torch.ones(192)
    )
    assert encoding[3, 0] == pytest.approx(math.sin(3)) and encoding[3, 1] == pytest.approx(math.cos(3))
    assert encoding[7, 10] == pytest.approx(math.sin(7 / 10000 ** (10 / 384)), rel=1e-5)


def test_a_missing_or_wrong_file_is_named(models, tmp_path):
    copy = tmp_path / "models"
    shutil.copytree(models, copy)
    (copy / "musetalkV15" / "unet.pth").unlink()
    with pytest.raises(MuseTalkFilesError, match=r"musetalkV15/unet\.pth is missing: the UNet's weights"):
        MuseTalkFiles.find(copy)
    with pytest.raises(MuseTalkFilesError, match="is not a folder"):
        MuseTalkFiles.find(tmp_path / "nowhere")

    shutil.copy(models / "musetalkV15" / "unet.pth", copy / "musetalkV15" / "unet.pth")
    config = json.loads((copy / "musetalkV15" / "musetalk.json").read_text())
    (copy / "musetalkV15" / "musetalk.json").write_text(json.dumps({**config, "in_channels": 4}))
    with pytest.raises(MuseTalkFilesError, match="is not MuseTalk's UNet: in_channels 4"):
        load_unet(MuseTalkFiles.find(copy), "cpu", torch.float32)

    (copy / "musetalkV15" / "musetalk.json").write_text(json.dumps({**config, "block_out_channels": [8, 16]}))
    with pytest.raises(MuseTalkFilesError, match=r"does not match musetalk\.json"):
        load_unet(MuseTalkFiles.find(copy), "cpu", torch.float32)

    (copy / "musetalkV15" / "unet.pth").write_bytes(b"not a checkpoint")
    with pytest.raises(MuseTalkFilesError, match=r"unet\.pth cannot be loaded"):
        load_unet(MuseTalkFiles.find(copy), "cpu", torch.float32)
