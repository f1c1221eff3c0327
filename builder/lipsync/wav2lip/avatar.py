"""An avatar prepared for lip-sync: its frames at the output size, face boxes and face crops.

Preparation runs once per avatar (source file, output size, face box): the boxes and crops are
cached on disk next to the source (`<source>.wav2lip/<key>.npz`) and every clip, worker and
restart reuses them, so face detection never runs while a clip is built. The frames themselves are
decoded from the source when an engine loads (an uncompressed 720p loop would be hundreds of MB).

A loop video is played forwards then backwards (ping-pong), so the idle loop wraps without a jump
whatever the video's first and last frames look like.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from builder.lipsync.base import LipSyncError
from builder.lipsync.wav2lip.face import clip_boxes, detect_boxes, face_crops, smooth_boxes, with_chin

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp"}
MAX_LOOP_SECONDS = 30  # longer sources are cut: every frame stays in (GPU) memory
PREP_VERSION = 1  # bump when boxes or crops are computed differently: old caches are then ignored

Box = tuple[int, int, int, int]


@dataclass
class PreparedAvatar:
    frames: np.ndarray  # (N, H, W, 3) uint8 RGB at the output size
    boxes: np.ndarray  # (N, 4) int32 face boxes in output pixels, chin included
    faces: np.ndarray  # (N, 96, 96, 3) uint8 BGR crops of the boxes
    from_cache: bool = False

    @property
    def loop_index(self) -> np.ndarray:
        """Source frame of each loop position: 0..N-1 then N-2..1 (ping-pong; a still stays still)."""
        n = len(self.frames)
        return np.arange(n) if n <= 2 else np.concatenate([np.arange(n), np.arange(n - 2, 0, -1)])


class SharedCache(Protocol):
    """Where a preparation made on one machine is found by the others (the studio's media store)."""

    def fetch(self, path: Path) -> bool:
        """Bring the cache file `path` here if another machine made it; False if none did."""

    def keep(self, path: Path) -> None:
        """Share the cache file `path`, just made here."""


def prepare_avatar(
    source: Path, width: int, height: int, fps: int, *, face_box: Sequence[int] | None = None,
    cache_dir: Path | None = None, shared: SharedCache | None = None,
) -> PreparedAvatar:  # fmt: skip
    """Frames of `source` (image or video) fitted into width x height, with boxes and crops.

    `face_box` (x1, y1, x2, y2 in the source's pixels) replaces detection for every frame.
    `shared`: a preparation another machine made is fetched instead of made again, and one made
    here is shared. Raises LipSyncError when the source cannot be read or holds no face.
    """
    source = Path(source)
    originals = read_source(source, fps)
    frames, scale, (ox, oy) = fit_frames(originals, width, height)
    cache_dir = cache_dir or source.with_name(source.name + ".wav2lip")
    cache = cache_dir / f"{_key(source, width, height, fps, face_box)}.npz"
    if not cache.is_file() and shared is not None:
        shared.fetch(cache)
    if cache.is_file():
        with np.load(cache) as stored:
            if len(stored["boxes"]) == len(frames):
                return PreparedAvatar(frames, stored["boxes"], stored["faces"], from_cache=True)
    if face_box is not None:
        found = np.repeat(np.array([face_box], dtype=np.float64), len(frames), axis=0)
    else:
        # Detected in the source's own pixels: a face too small to find in a downscaled frame
        # is still found there.
        found = smooth_boxes(detect_boxes(originals))
    placed = found * scale + np.array([ox, oy, ox, oy])
    boxes = clip_boxes(placed, height, width) if face_box is not None else with_chin(placed, height, width)
    prepared = PreparedAvatar(frames, boxes, face_crops(frames, boxes))
    _store(cache, prepared)
    if shared is not None and cache.is_file():
        shared.keep(cache)
    return prepared


def _key(source: Path, width: int, height: int, fps: int, face_box: Sequence[int] | None) -> str:
    # The upload is identified by name, size and mtime: re-uploading it makes a new key.
    stat = source.stat()
    ident = [source.name, stat.st_size, stat.st_mtime_ns, width, height, fps, face_box, PREP_VERSION]
    return hashlib.sha256(json.dumps(ident, default=list).encode()).hexdigest()[:16]


def _store(path: Path, prepared: PreparedAvatar) -> None:
    # Written to a temporary file and renamed: another worker never reads a half-written cache.
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as out:
            np.savez(out, boxes=prepared.boxes, faces=prepared.faces)
        os.replace(tmp, path)
    except OSError:
        return  # a read-only avatar folder only costs detection again next time


def read_source(source: Path, fps: int) -> list[np.ndarray]:
    if not source.is_file():
        raise LipSyncError(f"avatar source {source} does not exist")
    try:
        if source.suffix.lower() in IMAGE_SUFFIXES:
            from PIL import Image

            with Image.open(source) as image:
                return [np.asarray(image.convert("RGB"))]
        return _read_video(source, fps)
    except LipSyncError:
        raise
    except Exception as exc:  # PIL and PyAV raise many kinds; all mean "not a usable picture"
        raise LipSyncError(f"avatar source {source.name} could not be read: {exc}") from exc


def _read_video(source: Path, fps: int) -> list[np.ndarray]:
    """Decoded frames resampled in time to `fps` (nearest frame), at most MAX_LOOP_SECONDS."""
    import av

    with av.open(str(source)) as container:
        stream = container.streams.video[0]
        rate = float(stream.average_rate or fps)
        decoded = []
        for frame in container.decode(stream):
            decoded.append(frame.to_ndarray(format="rgb24"))
            if len(decoded) >= MAX_LOOP_SECONDS * rate:
                break
    if not decoded:
        raise LipSyncError(f"avatar video {source.name} has no frames")
    n_out = max(1, int(len(decoded) * fps / rate))
    return [decoded[min(len(decoded) - 1, round(i * rate / fps))] for i in range(n_out)]


def fit_frames(
    frames: list[np.ndarray], width: int, height: int
) -> tuple[np.ndarray, float, tuple[int, int]]:
    """Frames scaled to fit inside width x height and centred on black; the scale and offset used."""
    import cv2

    h, w = frames[0].shape[:2]
    scale = min(width / w, height / h)
    new_w, new_h = min(width, round(w * scale)), min(height, round(h * scale))
    ox, oy = (width - new_w) // 2, (height - new_h) // 2
    out = np.zeros((len(frames), height, width, 3), dtype=np.uint8)
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    for i, frame in enumerate(frames):
        if frame.shape[:2] != (h, w):
            raise LipSyncError("avatar video frames change size")
        if (new_w, new_h) != (w, h):
            frame = cv2.resize(frame, (new_w, new_h), interpolation=interpolation)
        out[i, oy : oy + new_h, ox : ox + new_w] = frame
    return out, scale, (ox, oy)
