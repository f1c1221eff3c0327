"""The Wav2Lip lip-sync engine: speech + a prepared avatar -> frames with the mouth speaking.

Per clip sentence: the mel features are computed on the device in one pass, then frames go
through in batches: generator inputs gathered from the avatar already on the device, generator,
colour match and blend into full frames, then the finished frames are copied into pinned host
memory on a second CUDA stream while the next batch computes. Only finished frames cross to the
host. The first batch is small, so the first frames reach the encoder quickly.

Frame numbers are absolute (see `LipSyncEngine`): frame f shows avatar loop position f, whether
idle or speaking, so a cut from the idle loop into an answer shows no jump.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise

import numpy as np
import torch

from builder.lipsync.base import LipSyncEngine, frame_count
from builder.lipsync.host_copy import to_host
from builder.lipsync.wav2lip.audio import speech_windows
from builder.lipsync.wav2lip.avatar import PreparedAvatar
from builder.lipsync.wav2lip.paste import DeviceAvatar
from builder.lipsync.wav2lip.runtime import Generator
from builder.media import MediaFormat
from builder.tts.base import Speech

FIRST_BATCH = 8  # frames in the first batch: the encoder starts after these


class Wav2LipLipSync(LipSyncEngine):
    name = "wav2lip"

    def __init__(
        self, fmt: MediaFormat, avatar: PreparedAvatar, generator: Generator, *, batch: int = 128,
        first_batch: int = FIRST_BATCH,
    ) -> None:  # fmt: skip
        super().__init__(fmt)
        if avatar.frames.shape[1:3] != (fmt.height, fmt.width):
            size = avatar.frames.shape[1:3]
            raise ValueError(f"avatar frames are {size}, the format {fmt.height}x{fmt.width}")
        self.avatar = avatar
        self.generator = generator
        self.device = generator.device
        self.on_device = DeviceAvatar(avatar, self.device)
        self.batch = max(1, batch)
        self.first_batch = max(1, min(first_batch, self.batch))
        self._loop = avatar.loop_index
        self._loop_on_device = torch.from_numpy(self._loop).to(self.device)
        self._copier = torch.cuda.Stream(self.device) if self.device.type == "cuda" else None

    @property
    def loop_frames(self) -> int:
        return len(self._loop)

    def idle_frames(self, n: int, start: int = 0) -> Iterator[np.ndarray]:
        for f in range(start, start + n):
            yield self.avatar.frames[self._loop[f % len(self._loop)]].copy()

    def render(self, speech: Speech, start_frame: int = 0) -> Iterator[np.ndarray]:
        n = frame_count(speech.duration, self.fmt.fps)
        for batch in self.render_batches(speech, start_frame, n):
            yield from batch.numpy()

    def render_batches(self, speech: Speech, start_frame: int, n: int) -> Iterator[torch.Tensor]:
        """The frames of `render` as (B, H, W, 3) uint8 host tensors (pinned on CUDA)."""
        if n <= 0:
            return
        with torch.inference_mode():
            mel = speech_windows(speech.pcm, speech.sample_rate, n, self.fmt.fps, self.device)
            positions = torch.arange(start_frame, start_frame + n, device=self.device) % len(self._loop)
            idx = self._loop_on_device[positions]
        spans = self._spans(n)
        yield from to_host((self._compose(mel[a:b], idx[a:b]) for a, b in spans), self.device, self._copier)

    def _spans(self, n: int) -> list[tuple[int, int]]:
        edges = [0, min(n, self.first_batch)]
        while edges[-1] < n:
            edges.append(min(n, edges[-1] + self.batch))
        return list(pairwise(edges))

    def buckets(self) -> list[int]:
        """The batch sizes the generator ever sees: first batch, powers of two, full batch."""
        sizes = {self.first_batch, self.batch}
        size = 16
        while size < self.batch:
            sizes.add(size)
            size *= 2
        return sorted(s for s in sizes if s >= self.first_batch)

    @torch.inference_mode()
    def _compose(self, mel: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
        faces = self.on_device.inputs(idx, self.generator.dtype)
        # A sentence's last batch has any size; padded up to a bucket, the generator sees only a
        # few shapes, so cuDNN's kernel search (benchmark mode) runs at warm-up, not mid-clip.
        n = idx.numel()
        size = next(s for s in self.buckets() if s >= n)
        if size > n:
            mel = torch.cat((mel, mel[-1:].expand(size - n, -1, -1, -1)))
            faces = torch.cat((faces, faces[-1:].expand(size - n, -1, -1, -1)))
        generated = self.generator(mel, faces)[:n]
        return self.on_device.paste(generated, idx)

    def warm_up(self) -> None:
        """Worker start: the generator at every batch shape (cuDNN picks its kernels), then one
        render through paste and pinned copies (device and pinned host memory get cached)."""
        if self.device.type == "cuda":
            for size in self.buckets():
                mel = torch.zeros(size, 1, 80, 16, device=self.device)
                self.generator(mel, torch.zeros(size, 6, 96, 96, device=self.device))
            torch.cuda.synchronize(self.device)
        n = self.first_batch + (self.batch if self.device.type == "cuda" else 0)
        silence = Speech(np.zeros(int(n / self.fmt.fps * 16_000) + 1, dtype=np.int16), 16_000)
        for _ in self.render_batches(silence, 0, n):
            pass
