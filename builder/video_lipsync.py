"""Which neural lip-sync animates an image / loop-video avatar, and why.

MuseTalk 1.5 when its files are configured (MUSETALK_DIR), else Wav2Lip when its checkpoint is
(WAV2LIP_CHECKPOINT), each only where it can run (a GPU, or *_ALLOW_CPU); else the drawn character
speaks and the clip keeps the reasons. LIPSYNC_ENGINE narrows the choice to one (or to none:
`sprite`). An engine is built once per avatar file, face box and process, and kept while it is
the one in use: each holds its avatar's frames (and MuseTalk its models) on the device, so a
device keeps one engine; another avatar or face box replaces it and frees its memory first. A
failure is kept too (it holds no device memory), so a broken avatar is not retried per clip.
"""

from __future__ import annotations

import gc
import threading
from pathlib import Path
from typing import Any, NamedTuple

from django.conf import settings

from builder.lipsync.base import LipSyncEngine, LipSyncError
from builder.media import MediaFormat

LABELS = {"musetalk": "MuseTalk", "wav2lip": "Wav2Lip"}


def order() -> list[str]:
    return {"auto": ["musetalk", "wav2lip"], "musetalk": ["musetalk"], "wav2lip": ["wav2lip"]}.get(
        settings.LIPSYNC_ENGINE, []
    )


def problem(engine: str, avatar: Any) -> str:
    """Why `engine` cannot animate this avatar here, or "" when it can be tried (nothing loaded)."""
    if not avatar.source:
        return "the avatar has no image or video file"
    box = avatar.settings.get("face_box") if isinstance(avatar.settings, dict) else None
    if box is not None and not (
        isinstance(box, list) and len(box) == 4 and all(isinstance(v, int | float) for v in box)
    ):
        return "face_box in the avatar settings must be [x1, y1, x2, y2] in the source's pixels"
    if engine == "musetalk":
        if not settings.MUSETALK_DIR:
            return "no MuseTalk models configured (MUSETALK_DIR)"
        from builder.lipsync.musetalk.files import MuseTalkFiles

        try:
            MuseTalkFiles.find(settings.MUSETALK_DIR)
        except LipSyncError as exc:
            return str(exc)
        return ""
    if not settings.WAV2LIP_CHECKPOINT:
        return "no Wav2Lip checkpoint configured (WAV2LIP_CHECKPOINT)"
    if not Path(settings.WAV2LIP_CHECKPOINT).is_file():
        return f"WAV2LIP_CHECKPOINT names a file that is not there: {settings.WAV2LIP_CHECKPOINT}"
    return ""


def describe(avatar: Any) -> tuple[str | None, str]:
    """(the engine clips will try first, "") or (None, why none can)."""
    reasons = []
    for engine in order():
        why = problem(engine, avatar)
        if not why:
            return engine, ""
        reasons.append(f"{LABELS[engine]}: {why}")
    return None, "; ".join(reasons) or "LIPSYNC_ENGINE=sprite"


def build(avatar: Any, fmt: MediaFormat) -> LipSyncEngine | str:
    """The first engine of `order()` that loads for this avatar, or why none did."""
    from builder.avatars import avatar_file

    reasons = []
    for engine in order():
        why = problem(engine, avatar)
        if not why:
            box = avatar.settings.get("face_box") if isinstance(avatar.settings, dict) else None
            source = avatar_file(avatar)
            stamp = source.stat().st_mtime_ns if source.exists() else 0
            made = _engine(engine, fmt, str(source), stamp, tuple(box) if box else None)
            if isinstance(made, LipSyncEngine):
                return made
            why = made
        reasons.append(f"{LABELS[engine]}: {why}")
    return "; ".join(reasons) or "LIPSYNC_ENGINE=sprite"


class CacheInfo(NamedTuple):
    hits: int
    misses: int
    maxsize: int  # engines kept per device
    currsize: int  # engines kept now, all devices together


_Key = tuple[str, MediaFormat, str, int, tuple[float, ...] | None]
_FAILURES_KEPT = 8

_lock = threading.Lock()
_held: dict[str, tuple[_Key, LipSyncEngine]] = {}  # device → the one engine kept there
_failed: dict[_Key, str] = {}  # why an engine could not be built (oldest first)
_counts = {"hits": 0, "misses": 0}


def _engine(
    engine: str, fmt: MediaFormat, source: str, stamp: int, face_box: tuple[float, ...] | None
) -> LipSyncEngine | str:
    """The engine for this avatar file and face box, or why it cannot be built. `stamp` (the
    file's mtime) makes a re-uploaded file a new engine. Builds are serialised: two at once would
    need the device memory of both."""
    key: _Key = (engine, fmt, source, stamp, face_box)
    with _lock:
        device = _device()
        held = _held.get(device)
        if held is not None and held[0] == key:
            _counts["hits"] += 1
            return held[1]
        if key in _failed:
            _counts["hits"] += 1
            return _failed[key]
        _counts["misses"] += 1
        if held is not None:  # freed before the build: the card may not hold both
            _release(device)
        made = _build(*key)
        if isinstance(made, LipSyncEngine):
            _held[device] = (key, made)
        else:
            _failed[key] = made
            while len(_failed) > _FAILURES_KEPT:
                del _failed[next(iter(_failed))]
        return made


def _device() -> str:
    """Where an engine built now keeps its frames: both factories take the first CUDA GPU when
    torch sees one (`pick_device("auto")`), else the CPU."""
    try:
        import torch
    except ImportError:  # no engine can be built; the factories say why
        return "cpu"
    return "cuda" if torch.cuda.is_available() else "cpu"


def _release(device: str) -> None:
    """Forget the engine kept on `device` and give its memory back. A clip still rendering with it
    keeps it alive until it ends; the memory is freed then."""
    _held.pop(device, None)
    gc.collect()  # tensors caught in reference cycles would otherwise wait for a later collection
    if device.startswith("cuda"):
        import torch

        torch.cuda.empty_cache()  # hand the freed blocks back, for the next engine and other processes


def _build(
    engine: str, fmt: MediaFormat, source: str, stamp: int, face_box: tuple[float, ...] | None
) -> LipSyncEngine | str:
    from builder.avatars import StorePreparations

    common = {"source": Path(source), "shared": StorePreparations(), "face_box": face_box}
    try:
        if engine == "musetalk":
            from builder.lipsync.musetalk.factory import make_musetalk

            return make_musetalk(
                fmt, root=settings.MUSETALK_DIR, batch=settings.MUSETALK_BATCH,
                precision=settings.MUSETALK_PRECISION, allow_cpu=settings.MUSETALK_ALLOW_CPU, **common,
            )  # fmt: skip
        from builder.lipsync.wav2lip.factory import make_wav2lip

        return make_wav2lip(
            fmt, checkpoint=settings.WAV2LIP_CHECKPOINT, batch=settings.WAV2LIP_BATCH,
            precision=settings.WAV2LIP_PRECISION, allow_cpu=settings.WAV2LIP_ALLOW_CPU, **common,
        )  # fmt: skip
    except LipSyncError as exc:
        return str(exc)


def cache_clear() -> None:
    """Forget every engine and failure (settings changed), freeing the devices' memory."""
    with _lock:
        for device in list(_held):
            _release(device)
        _failed.clear()
        _counts.update(hits=0, misses=0)


def cache_info() -> CacheInfo:
    with _lock:
        return CacheInfo(_counts["hits"], _counts["misses"], 1, len(_held))
