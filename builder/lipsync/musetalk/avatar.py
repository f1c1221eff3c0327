"""An avatar prepared for MuseTalk 1.5, once per avatar (source, output size, face box): its frames
at the output size, face boxes with MuseTalk 1.5's extra margin below the chin, 256x256 crops, and
the VAE latents of each crop masked (lower half blanked) and whole. A build then runs only the
UNet and the VAE decoder per frame. Cached next to the source (`<source>.musetalk/<key>.npz`,
beside Wav2Lip's) and, through `shared`, for every machine.

Latents are the VAE posterior's mean (MuseTalk draws a sample; the mean is the same picture without
its noise, and the same on every run). The blend mask is the feathered jaw mask of Wav2Lip's paste;
the optional face-parsing masks are not used yet.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from builder.lipsync.wav2lip.avatar import PreparedAvatar, SharedCache, fit_frames, read_source
from builder.lipsync.wav2lip.face import clip_boxes, detect_boxes, face_crops, smooth_boxes

CROP = 256
EXTRA_MARGIN = 10  # pixels below the chin, MuseTalk 1.5's default (`extra_margin`)
PREP_VERSION = 1
ENCODE_BATCH = 16


@dataclass
class MuseTalkAvatar:
    prepared: PreparedAvatar  # frames, boxes and 256x256 BGR crops (Wav2Lip's paste takes them)
    masked_latents: np.ndarray  # (N, 4, 32, 32) float32, scaled by the VAE's scaling factor
    reference_latents: np.ndarray
    from_cache: bool = False


def prepare_avatar(
    source: Path, width: int, height: int, fps: int, vae: Any, *, face_box: Sequence[int] | None = None,
    cache_dir: Path | None = None, shared: SharedCache | None = None,
) -> MuseTalkAvatar:  # fmt: skip
    source = Path(source)
    originals = read_source(source, fps)
    frames, scale, (ox, oy) = fit_frames(originals, width, height)
    cache = (
        cache_dir or source.with_name(source.name + ".musetalk")
    ) / f"{_key(source, width, height, fps, face_box)}.npz"
    if not cache.is_file() and shared is not None:
        shared.fetch(cache)
    if cache.is_file():
        with np.load(cache) as stored:
            if len(stored["boxes"]) == len(frames):
                prepared = PreparedAvatar(frames, stored["boxes"], stored["faces"], from_cache=True)
                return MuseTalkAvatar(prepared, stored["masked"], stored["reference"], from_cache=True)
    if face_box is not None:
        found = np.repeat(np.array([face_box], dtype=np.float64), len(frames), axis=0)
    else:
        found = smooth_boxes(detect_boxes(originals))
    placed = found * scale + np.array([ox, oy, ox, oy])
    if face_box is None:
        placed[:, 3] += EXTRA_MARGIN
    boxes = clip_boxes(placed, height, width)
    prepared = PreparedAvatar(frames, boxes, face_crops(frames, boxes, size=CROP))
    masked, reference = encode_crops(prepared.faces, vae)
    _store(cache, prepared, masked, reference)
    if shared is not None and cache.is_file():
        shared.keep(cache)
    return MuseTalkAvatar(prepared, masked, reference)


def encode_crops(faces: np.ndarray, vae: Any) -> tuple[np.ndarray, np.ndarray]:
    """VAE latents of the BGR crops with their lower half blanked, and whole."""
    device, dtype = vae.device, vae.dtype
    masked_out, reference_out = [], []
    with torch.inference_mode():
        for start in range(0, len(faces), ENCODE_BATCH):
            rgb = torch.from_numpy(np.ascontiguousarray(faces[start : start + ENCODE_BATCH, :, :, ::-1]))
            image = rgb.to(device).permute(0, 3, 1, 2).float() / 255
            masked = image.clone()
            masked[:, :, CROP // 2 :] = 0  # blanked in [0, 1], so -1 after normalising
            for tensor, out in ((masked, masked_out), (image, reference_out)):
                latent = vae.encode((tensor * 2 - 1).to(dtype)).latent_dist.mean * vae.config.scaling_factor
                out.append(latent.float().cpu().numpy())
    return np.concatenate(masked_out), np.concatenate(reference_out)


def _key(source: Path, width: int, height: int, fps: int, face_box: Sequence[int] | None) -> str:
    stat = source.stat()
    ident = [source.name, stat.st_size, stat.st_mtime_ns, width, height, fps, face_box, PREP_VERSION]
    return hashlib.sha256(json.dumps(ident, default=list).encode()).hexdigest()[:16]


def _store(path: Path, prepared: PreparedAvatar, masked: np.ndarray, reference: np.ndarray) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as out:
            np.savez(out, boxes=prepared.boxes, faces=prepared.faces, masked=masked, reference=reference)
        os.replace(tmp, path)
    except OSError:
        return  # a read-only avatar folder only costs the preparation again next time
