"""Wav2Lip's audio features, in torch: the mel spectrogram the published models were trained on.

16 kHz mono, pre-emphasis 0.97, STFT (n_fft 800, hop 200, Hann window 800, centred with reflect
padding), magnitude, 80 Slaney-normalised mel bands from 55 to 7600 Hz, dB with a -100 dB floor
and 20 dB reference, then mapped symmetrically onto [-4, 4]. That is 80 mel frames per second;
video frame i reads the 16 mel frames starting at int(i * 80 / fps).
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import torch

SAMPLE_RATE = 16_000
N_FFT = 800
HOP = 200
WINDOW = 800
N_MELS = 80
FMIN, FMAX = 55.0, 7600.0
PREEMPHASIS = 0.97
MIN_LEVEL_DB = -100.0
REF_LEVEL_DB = 20.0
MAX_ABS = 4.0
MEL_STEP = 16  # mel frames per video frame window
MEL_RATE = SAMPLE_RATE // HOP  # 80 mel frames per second


def pcm_to_float(pcm: np.ndarray, device: torch.device | str = "cpu") -> torch.Tensor:
    """Mono int16 samples as float32 in [-1, 1) on `device`."""
    samples = torch.from_numpy(np.ascontiguousarray(pcm, dtype=np.int16)).to(device)
    return samples.float() / 32768.0


def resample(wav: torch.Tensor, rate_in: int, rate_out: int = SAMPLE_RATE) -> torch.Tensor:
    """Band-limited resampling of a whole utterance by FFT (exact up to the lower Nyquist)."""
    if rate_in == rate_out or wav.numel() == 0:
        return wav
    n_out = max(1, round(wav.numel() * rate_out / rate_in))
    spectrum = torch.fft.rfft(wav.double())
    keep = min(spectrum.numel(), n_out // 2 + 1)
    out = torch.fft.irfft(spectrum[:keep], n=n_out) * (n_out / wav.numel())
    return out.to(wav.dtype)


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    # Slaney's scale: linear below 1 kHz, logarithmic above (librosa's default, htk=False).
    hz = np.asarray(hz, dtype=np.float64)
    linear = hz / (200.0 / 3)
    log = 15.0 + np.log(np.maximum(hz, 1e-10) / 1000.0) / (math.log(6.4) / 27.0)
    return np.where(hz >= 1000.0, log, linear)


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    mel = np.asarray(mel, dtype=np.float64)
    linear = mel * (200.0 / 3)
    log = 1000.0 * np.exp((math.log(6.4) / 27.0) * (mel - 15.0))
    return np.where(mel >= 15.0, log, linear)


@lru_cache(maxsize=1)
def mel_filterbank() -> np.ndarray:
    """(80, 401) triangular filters, area-normalised (Slaney), as librosa.filters.mel makes them."""
    fft_freqs = np.linspace(0.0, SAMPLE_RATE / 2, N_FFT // 2 + 1)
    edges = _mel_to_hz(np.linspace(_hz_to_mel(FMIN), _hz_to_mel(FMAX), N_MELS + 2))
    widths = np.diff(edges)
    ramps = edges[:, None] - fft_freqs[None, :]
    rising = -ramps[:-2] / widths[:-1, None]
    falling = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(rising, falling))
    weights *= (2.0 / (edges[2:] - edges[:-2]))[:, None]
    return weights.astype(np.float32)


@lru_cache(maxsize=8)
def _constants(device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    window = torch.hann_window(WINDOW, periodic=True, device=device)
    return window, torch.from_numpy(mel_filterbank()).to(device)


def melspectrogram(wav: torch.Tensor) -> torch.Tensor:
    """(80, 1 + len // 200) normalised mel frames of 16 kHz float samples, on wav's device."""
    wav = wav.float()
    if wav.numel() <= N_FFT // 2:
        # Reflect padding needs more samples than half a window: pad a very short sound with silence.
        wav = torch.nn.functional.pad(wav, (0, N_FFT // 2 + 1 - wav.numel()))
    emphasised = torch.cat((wav[:1], wav[1:] - PREEMPHASIS * wav[:-1]))
    window, filters = _constants(wav.device)
    spectrum = torch.stft(
        emphasised, N_FFT, HOP, WINDOW, window, center=True, pad_mode="reflect", return_complex=True
    )
    mel = filters @ spectrum.abs()
    db = 20.0 * torch.log10(mel.clamp_min(10.0 ** (MIN_LEVEL_DB / 20.0))) - REF_LEVEL_DB
    return ((2 * MAX_ABS) * (db - MIN_LEVEL_DB) / -MIN_LEVEL_DB - MAX_ABS).clamp(-MAX_ABS, MAX_ABS)


def window_starts(n_frames: int, fps: int) -> torch.Tensor:
    """The first mel frame of each video frame's window: int(i * 80 / fps), exactly, as integers."""
    return torch.arange(n_frames, dtype=torch.int64) * MEL_RATE // fps


def mel_windows(mel: torch.Tensor, n_frames: int, fps: int) -> torch.Tensor:
    """(n_frames, 1, 80, 16): the window of each video frame, the last ones held at the audio's end."""
    if mel.shape[1] < MEL_STEP:
        mel = torch.nn.functional.pad(mel, (0, MEL_STEP - mel.shape[1]), value=-MAX_ABS)  # silence
    starts = window_starts(n_frames, fps).clamp_max(mel.shape[1] - MEL_STEP).to(mel.device)
    windows = mel.unfold(1, MEL_STEP, 1)  # (80, T - 15, 16), a view
    return windows[:, starts].permute(1, 0, 2).unsqueeze(1).contiguous()


def speech_windows(
    pcm: np.ndarray, sample_rate: int, n_frames: int, fps: int, device: torch.device | str
) -> torch.Tensor:
    """Mono int16 speech at any rate -> the generator's mel input for `n_frames` video frames."""
    wav = resample(pcm_to_float(pcm, device), sample_rate)
    return mel_windows(melspectrogram(wav), n_frames, fps)
