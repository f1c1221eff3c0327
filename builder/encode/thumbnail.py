"""A JPEG thumbnail of one frame, for the clip library."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from builder.encode.ffmpeg import run_ffmpeg

log = logging.getLogger(__name__)

_QUALITY = 85  # Pillow's scale; ffmpeg's -q:v 3 is about the same


def write_thumbnail(frame: np.ndarray, path: Path, width: int = 480) -> Path:
    """Scale an HxWx3 uint8 RGB frame to `width` (height keeps the aspect, rounded to even) and
    write it to `path` as a JPEG. Uses Pillow when it is installed, else ffmpeg."""
    if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
        raise ValueError(f"frame must be HxWx3 uint8 RGB, got {frame.dtype} {frame.shape}")
    if width <= 0:
        raise ValueError(f"width must be positive, got {width}")
    source_height, source_width = frame.shape[:2]
    height = max(2, 2 * round(width * source_height / source_width / 2))
    path = Path(path)
    try:
        from PIL import Image
    except ImportError:
        _with_ffmpeg(frame, path, width, height)
    else:
        image = Image.fromarray(np.ascontiguousarray(frame), "RGB").resize(
            (width, height), Image.Resampling.LANCZOS
        )
        image.save(path, "JPEG", quality=_QUALITY, optimize=True)
    return path


def _with_ffmpeg(frame: np.ndarray, path: Path, width: int, height: int) -> None:
    source_height, source_width = frame.shape[:2]
    run_ffmpeg(
        ["-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{source_width}x{source_height}", "-i", "pipe:0",
         "-frames:v", "1", "-vf", f"scale={width}:{height}:flags=lanczos", "-q:v", "3",
         "-f", "image2", "-update", "1", str(path)],
        stdin=[memoryview(np.ascontiguousarray(frame)).cast("B")],
        timeout=60,
    )  # fmt: skip
