"""A ready MuseTalk engine: models loaded (once per process), avatar prepared (once, cached)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from builder.lipsync.base import LipSyncError
from builder.media import MediaFormat

if TYPE_CHECKING:
    from builder.lipsync.musetalk.engine import MuseTalkLipSync
    from builder.lipsync.wav2lip.avatar import SharedCache


def make_musetalk(
    fmt: MediaFormat, *, source: Path, root: Path | str, face_box: Sequence[int] | None = None,
    batch: int = 32, precision: str = "fp16", device: str = "auto", allow_cpu: bool = False,
    shared: SharedCache | None = None,
) -> MuseTalkLipSync:  # fmt: skip
    """Raises LipSyncError (subclasses say which) for missing files or packages, no GPU (and
    `allow_cpu` off), files that are not MuseTalk 1.5's, or an avatar without a usable face."""
    if not root:
        raise LipSyncError("no MuseTalk models configured (MUSETALK_DIR)")
    try:
        import diffusers  # noqa: F401 - only to tell "not installed" apart from other failures
        import torch
        import transformers  # noqa: F401
    except ImportError as exc:
        raise LipSyncError(f"{exc.name} is not installed (requirements-voice.txt)") from None
    from builder.lipsync.musetalk.avatar import prepare_avatar
    from builder.lipsync.musetalk.engine import MuseTalkLipSync
    from builder.lipsync.musetalk.files import MuseTalkFiles, load_unet, load_vae, load_whisper
    from builder.lipsync.wav2lip.runtime import PRECISIONS, NoDeviceError, pick_device

    files = MuseTalkFiles.find(root)
    try:
        where = pick_device(device, allow_cpu=allow_cpu)
    except NoDeviceError as exc:
        raise NoDeviceError(str(exc).replace("WAV2LIP_ALLOW_CPU", "MUSETALK_ALLOW_CPU")) from None
    dtype = PRECISIONS[precision] if where.type == "cuda" else torch.float32
    unet = load_unet(files, where, dtype)
    if where.type == "cuda":
        unet = unet.to(memory_format=torch.channels_last)
    vae = load_vae(files, where, dtype)
    encoder, extractor = load_whisper(files, where, dtype)
    avatar = prepare_avatar(
        Path(source), fmt.width, fmt.height, fmt.fps, vae, face_box=face_box, shared=shared
    )
    return MuseTalkLipSync(fmt, avatar, unet=unet, vae=vae, whisper=encoder, extractor=extractor, batch=batch)
