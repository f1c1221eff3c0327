"""Audio features as MuseTalk 1.5 computes them (torch, transformers; no Django).

Speech at 16 kHz goes through whisper-tiny's feature extractor in 30 s pieces and its encoder;
every hidden state (the embeddings and each layer's output: 5 for whisper-tiny) is kept, stacked:
(T, 5, 384), 50 feature frames a second, cut to the audio's own length. Video frame i reads a
window of 10 feature frames starting at floor(i x 50 / fps) in the features padded with
ceil(50 / fps) x 2 zero frames in front and ceil(50 / fps) x 6 behind (two video frames of
context each side), flattened to (50, 384), and the sinusoidal positional encoding (d = 384) is
added: the UNet's cross-attention input.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from builder.lipsync.wav2lip.audio import pcm_to_float, resample

SAMPLE_RATE = 16_000
AUDIO_FPS = 50
CHUNK_SECONDS = 30  # whisper's input length
CONTEXT = 2  # video frames of context on each side
WINDOW = 2 * (2 * CONTEXT + 1)  # feature frames per video frame: 10


def whisper_features(
    pcm: np.ndarray, rate: int, encoder: Any, extractor: Any, *, device: Any = "cpu", dtype: Any = None
) -> torch.Tensor:
    """(T, layers, width) stacked hidden states of the whole utterance, T = floor(seconds x 50)."""
    audio = resample(pcm_to_float(pcm), rate, SAMPLE_RATE).numpy()
    length = math.floor(len(audio) / SAMPLE_RATE * AUDIO_FPS)
    dtype = dtype or next(encoder.parameters()).dtype
    pieces = []
    step = CHUNK_SECONDS * SAMPLE_RATE
    with torch.inference_mode():
        for start in range(0, max(len(audio), 1), step):
            inputs = extractor(audio[start : start + step], sampling_rate=SAMPLE_RATE, return_tensors="pt")
            states = encoder(inputs.input_features.to(device=device, dtype=dtype), output_hidden_states=True)
            pieces.append(torch.stack(states.hidden_states, dim=2)[0])  # (1500, layers, width)
    return torch.cat(pieces)[:length]


def frame_windows(features: torch.Tensor, n_frames: int, fps: int) -> torch.Tensor:
    """(n_frames, WINDOW x layers, width): each video frame's audio window, as the UNet reads it."""
    step = AUDIO_FPS / fps
    pad = math.ceil(step)
    zeros = features.new_zeros((1, *features.shape[1:]))
    padded = torch.cat(
        (zeros.expand(pad * CONTEXT, -1, -1), features, zeros.expand(pad * 3 * CONTEXT, -1, -1))
    )
    starts = torch.tensor([math.floor(i * step) for i in range(n_frames)], dtype=torch.long)
    # A frame past the features' end (the video is up to one frame longer than the audio) reads
    # the zero padding, as silence.
    need = int(starts.max()) + WINDOW if n_frames else 0
    if need > len(padded):
        padded = torch.cat((padded, zeros.expand(need - len(padded), -1, -1)))
    index = starts[:, None] + torch.arange(WINDOW)[None]
    windows = padded.to(features.device)[index.to(features.device)]  # (n, WINDOW, layers, width)
    return windows.flatten(1, 2)


def positional_encoding(length: int, width: int) -> torch.Tensor:
    """(length, width) sinusoids: sin on even channels, cos on odd, wavelengths up to 10000 x 2π."""
    position = torch.arange(length, dtype=torch.float32)[:, None]
    rates = torch.exp(torch.arange(0, width, 2, dtype=torch.float32) * (-math.log(10000.0) / width))
    encoding = torch.zeros(length, width)
    encoding[:, 0::2] = torch.sin(position * rates)
    encoding[:, 1::2] = torch.cos(position * rates)
    return encoding


def unet_audio(windows: torch.Tensor) -> torch.Tensor:
    """The UNet's `encoder_hidden_states`: the windows plus the positional encoding."""
    _, length, width = windows.shape
    return windows + positional_encoding(length, width).to(device=windows.device, dtype=windows.dtype)
