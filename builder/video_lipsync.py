"""Which neural lip-sync animates an image / loop-video avatar, and why.

MuseTalk 1.5 when its files are configured (MUSETALK_DIR), else Wav2Lip when its checkpoint is
(WAV2LIP_CHECKPOINT), each only where it can run (a GPU, or *_ALLOW_CPU); else the drawn character
speaks and the clip keeps the reasons. LIPSYNC_ENGINE narrows the choice to one (or to none:
`sprite`). Engines are built once per avatar file and process; a failure is kept too.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

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


@lru_cache(maxsize=8)
def _engine(
    engine: str, fmt: MediaFormat, source: str, stamp: int, face_box: tuple[float, ...] | None
) -> Any:
    """Built once per engine, avatar file and worker process; a failure is kept too (not retried
    per clip). `stamp` (the file's mtime) makes a re-uploaded file a new entry."""
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


cache_clear = _engine.cache_clear
cache_info = _engine.cache_info
