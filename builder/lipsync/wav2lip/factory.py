"""Build a Wav2Lip engine from plain options (settings, CLI flags), or say why it cannot run.

Imported without torch; torch is imported only when an engine is actually built, and its absence
is reported as an ordinary `LipSyncError` the caller can fall back on.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from builder.lipsync.base import LipSyncError
from builder.media import MediaFormat

if TYPE_CHECKING:
    from builder.lipsync.wav2lip.avatar import SharedCache
    from builder.lipsync.wav2lip.engine import Wav2LipLipSync


def make_wav2lip(
    fmt: MediaFormat, *, source: Path, checkpoint: Path | str, face_box: Sequence[int] | None = None,
    cache_dir: Path | None = None, batch: int = 128, precision: str = "fp16", device: str = "auto",
    allow_cpu: bool = False, shared: SharedCache | None = None,
) -> Wav2LipLipSync:  # fmt: skip
    """A ready engine: generator loaded (once per process), avatar prepared (once, cached on disk).

    Raises LipSyncError (subclasses say which) when there is no checkpoint, no torch, no GPU
    (and `allow_cpu` is off), a bad checkpoint, or an avatar without a usable face.
    """
    if not checkpoint:
        raise LipSyncError("no Wav2Lip checkpoint configured (WAV2LIP_CHECKPOINT)")
    try:
        import torch  # noqa: F401 - only to tell "not installed" apart from other failures
    except ImportError:
        raise LipSyncError("torch is not installed (see requirements-voice.txt or the CUDA image)") from None
    from builder.lipsync.wav2lip.avatar import prepare_avatar
    from builder.lipsync.wav2lip.engine import Wav2LipLipSync
    from builder.lipsync.wav2lip.runtime import load, pick_device

    where = pick_device(device, allow_cpu=allow_cpu)
    generator = load(Path(checkpoint), where, precision)
    avatar = prepare_avatar(
        Path(source), fmt.width, fmt.height, fmt.fps, face_box=face_box, cache_dir=cache_dir, shared=shared
    )
    return Wav2LipLipSync(fmt, avatar, generator, batch=batch)
