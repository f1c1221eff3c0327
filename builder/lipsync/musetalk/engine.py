"""The MuseTalk 1.5 lip-sync engine: speech + a prepared avatar -> frames with the lower face
redrawn. Per sentence: whisper features once, then batches of frames: the UNet (one step,
timestep 0) on the avatar's masked + reference latents with each frame's audio window, the VAE
decoder, and Wav2Lip's paste (feathered jaw mask, on the device) into the full frames; finished
frames go to pinned host memory while the next batch computes.

Frame numbers are absolute (see `LipSyncEngine`): frame f shows avatar loop position f, idle or
speaking, so a cut from the idle loop into an answer shows no jump.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise
from typing import Any

import numpy as np
import torch

from builder.lipsync.base import LipSyncEngine, frame_count
from builder.lipsync.host_copy import to_host
from builder.lipsync.musetalk.avatar import MuseTalkAvatar
from builder.lipsync.musetalk.features import frame_windows, unet_audio, whisper_features
from builder.lipsync.wav2lip.paste import DeviceAvatar
from builder.media import MediaFormat
from builder.tts.base import Speech

FIRST_BATCH = 8  # frames in the first batch: the encoder starts after these


class MuseTalkLipSync(LipSyncEngine):
    name = "musetalk"

    def __init__(
        self, fmt: MediaFormat, avatar: MuseTalkAvatar, *, unet: Any, vae: Any, whisper: Any, extractor: Any,
        batch: int = 32, first_batch: int = FIRST_BATCH,
    ) -> None:  # fmt: skip
        super().__init__(fmt)
        frames = avatar.prepared.frames
        if frames.shape[1:3] != (fmt.height, fmt.width):
            raise ValueError(f"avatar frames are {frames.shape[1:3]}, the format {fmt.height}x{fmt.width}")
        self.avatar, self.unet, self.vae = avatar, unet, vae
        self.whisper, self.extractor = whisper, extractor
        self.device, self.dtype = unet.device, unet.dtype
        self.on_device = DeviceAvatar(avatar.prepared, self.device)
        self.masked = torch.from_numpy(avatar.masked_latents).to(self.device, self.dtype)
        self.reference = torch.from_numpy(avatar.reference_latents).to(self.device, self.dtype)
        self.batch = max(1, batch)
        self.first_batch = max(1, min(first_batch, self.batch))
        self._loop = avatar.prepared.loop_index
        self._loop_on_device = torch.from_numpy(self._loop).to(self.device)
        self._t0 = torch.zeros(1, dtype=torch.long, device=self.device)
        self._copier = torch.cuda.Stream(self.device) if self.device.type == "cuda" else None

    @property
    def loop_frames(self) -> int:
        return len(self._loop)

    def idle_frames(self, n: int, start: int = 0) -> Iterator[np.ndarray]:
        for f in range(start, start + n):
            yield self.avatar.prepared.frames[self._loop[f % len(self._loop)]].copy()

    def render(self, speech: Speech, start_frame: int = 0) -> Iterator[np.ndarray]:
        n = frame_count(speech.duration, self.fmt.fps)
        for batch in to_host(self.render_batches(speech, start_frame, n), self.device, self._copier):
            yield from batch.numpy()

    def render_batches(self, speech: Speech, start_frame: int, n: int) -> Iterator[torch.Tensor]:
        """The frames of `render` as (B, H, W, 3) uint8 tensors on the engine's device; `render`
        copies them to pinned host memory overlapped with the next batch (builder/lipsync/host_copy.py)."""
        if n <= 0:
            return
        features = whisper_features(
            speech.pcm, speech.sample_rate, self.whisper, self.extractor, device=self.device, dtype=self.dtype
        )
        audio = unet_audio(frame_windows(features, n, self.fmt.fps).to(self.device, self.dtype))
        positions = torch.arange(start_frame, start_frame + n, device=self.device) % len(self._loop)
        idx = self._loop_on_device[positions]
        edges = [0, min(n, self.first_batch)]
        while edges[-1] < n:
            edges.append(min(n, edges[-1] + self.batch))
        for start, stop in pairwise(edges):
            yield self.compose(audio[start:stop], idx[start:stop])

    @torch.inference_mode()
    def compose(self, audio: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
        """One batch: (B, 50, 384) audio windows and avatar positions -> (B, H, W, 3) uint8 frames."""
        latents = torch.cat((self.masked[idx], self.reference[idx]), dim=1)
        predicted = self.unet(latents, self._t0, encoder_hidden_states=audio).sample
        faces = self.generate_faces(predicted)
        return self.on_device.paste(faces.flip(1), idx)  # the paste takes BGR

    def generate_faces(self, predicted: torch.Tensor) -> torch.Tensor:
        """(B, 3, 256, 256) RGB faces in [0, 1] from the UNet's latents."""
        image = self.vae.decode(predicted / self.vae.config.scaling_factor).sample
        return (image.float() / 2 + 0.5).clamp(0, 1)

    def warm_up(self) -> None:
        """Worker start: one render of silence, so the first clip finds the models' kernels chosen
        and the device memory cached."""
        n = self.first_batch
        silence = Speech(np.zeros(int(n / self.fmt.fps * 16_000) + 1, dtype=np.int16), 16_000)
        for _ in self.render_batches(silence, 0, n):
            pass
