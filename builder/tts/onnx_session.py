"""An onnxruntime session for a voice model: the first of the wanted providers that this
onnxruntime has (CUDA when onnxruntime-gpu sees a GPU), the CPU otherwise."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from builder.tts.base import TTSError

PROVIDERS = ("CUDAExecutionProvider", "CPUExecutionProvider")


def open_session(path: Path, providers: tuple[str, ...] = PROVIDERS, threads: int = 0) -> Any:
    """`threads` 0 lets onnxruntime choose (every core). A file it cannot load is a TTSError."""
    import onnxruntime

    available = onnxruntime.get_available_providers()
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    try:
        return onnxruntime.InferenceSession(
            str(path), options, providers=[p for p in providers if p in available] or ["CPUExecutionProvider"]
        )
    except Exception as exc:  # noqa: BLE001 — onnxruntime raises its own classes
        # onnxruntime's message ends with the reason; its start is a long source path.
        raise TTSError(f"{path.name} is not a model onnxruntime can load: …{str(exc)[-200:]}") from None
