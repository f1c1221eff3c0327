"""Model files are data, never code: how every checkpoint the studio reads is opened.

A `.pth` file is a pickle, and unpickling may call any function the file names (`__reduce__`), so
a checkpoint is read with `torch.load(weights_only=True)`: tensors, numbers, strings and plain
containers only. A file that names anything else (a class, `exec`, `os.system`) is refused with
`UnsafeWeights` before any of it runs.

Our own loaders call `load_weights`. Third-party loaders that open several files themselves
(Coqui: checkpoint, speakers, d-vectors, statistics) run inside `only_weights()`, which makes
every `torch.load` weights-only and every `numpy.load` pickle-free, whatever the library asks for.
torch and numpy are imported only when a file is read: importing this module stays cheap.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# torch's weights-only unpickler names the callable a file asked for in this phrase.
_GLOBAL = re.compile(r"Unsupported global: GLOBAL ([\w.]+)")
_NUMPY_PICKLE = "allow_pickle=False"


class UnsafeWeights(ValueError):
    """The file holds pickled Python objects, not only weights: loading it could run code.
    `names` is the callable or class it asked for, when torch said."""

    def __init__(self, message: str, names: str = "") -> None:
        super().__init__(message)
        self.names = names


class _Refused(pickle.UnpicklingError):
    """torch's refusal inside `only_weights()`, with the file it came from. Still an
    UnpicklingError: a library that catches that to retry with its own allowed classes (Coqui's
    XTTS, for old checkpoints holding its config objects) keeps doing so, weights-only."""

    def __init__(self, message: str, path: str | None) -> None:
        super().__init__(message)
        self.path = path


def load_weights(path: Path | str) -> Any:
    """What `path` holds, on the CPU, read as data only; `UnsafeWeights` for a file that carries
    code, torch's own errors for one that is simply not a checkpoint."""
    import torch

    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        refused = unsafe_reason(exc, Path(path))
        if refused is not None:
            raise refused from None
        raise


def unsafe_reason(exc: BaseException, path: Path | str | None = None) -> UnsafeWeights | None:
    """The refusal `exc` (or an error it was raised from) stands for, if it is one: torch's
    weights-only unpickler meeting a global it does not allow, or numpy meeting a pickled array."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        text = str(current)
        found = _GLOBAL.search(text)
        if isinstance(current, pickle.UnpicklingError) and found:
            where = getattr(current, "path", None) or path
            return UnsafeWeights(_message(where, f"it names {found.group(1)}"), found.group(1))
        if isinstance(current, ValueError) and _NUMPY_PICKLE in text:
            return UnsafeWeights(_message(path, "it holds a pickled numpy array"))
        if isinstance(current, UnsafeWeights):
            return current
        current = current.__cause__ or current.__context__
    return None


def _message(path: Path | str | None, what: str) -> str:
    name = Path(path).name if path else "a model file"
    return (
        f"{name} was refused: it holds pickled Python objects, not only weights ({what}), and "
        "loading it could run code. Use a checkpoint of plain tensors (a state dict) instead."
    )


_guard_lock = threading.Lock()
_guard_depth = 0
_originals: dict[str, Any] = {}


@contextlib.contextmanager
def only_weights() -> Iterator[None]:
    """Inside this block every `torch.load` is weights-only and every `numpy.load` refuses pickles,
    in every thread (a library's loader cannot opt out); nested and concurrent blocks share one
    patch, removed when the last one ends."""
    global _guard_depth
    with _guard_lock:
        if _guard_depth == 0:
            _patch()
        _guard_depth += 1
    try:
        yield
    finally:
        with _guard_lock:
            _guard_depth -= 1
            if _guard_depth == 0:
                _unpatch()


def _patch() -> None:
    import numpy
    import torch
    import torch.serialization

    torch_load, numpy_load = torch.load, numpy.load
    _originals.update(torch=torch_load, serialization=torch.serialization.load, numpy=numpy_load)

    def weights_only_load(f: Any, *args: Any, **kwargs: Any) -> Any:
        kwargs["weights_only"] = True
        try:
            return torch_load(f, *args, **kwargs)
        except pickle.UnpicklingError as exc:
            raise _Refused(str(exc), _name_of(f)) from exc

    def pickle_free_load(file: Any, mmap_mode: Any = None, allow_pickle: bool = False, **kwargs: Any) -> Any:
        return numpy_load(file, mmap_mode, False, **kwargs)

    torch.load = torch.serialization.load = weights_only_load
    numpy.load = pickle_free_load


def _name_of(f: Any) -> str | None:
    """The file a `torch.load` argument stands for: a path, or an open file (fsspec's has `path`)."""
    if isinstance(f, str | os.PathLike):
        return os.fspath(f)
    found = getattr(f, "path", None) or getattr(f, "name", None)
    return str(found) if found else None


def _unpatch() -> None:
    import numpy
    import torch
    import torch.serialization

    torch.load = _originals.pop("torch")
    torch.serialization.load = _originals.pop("serialization")
    numpy.load = _originals.pop("numpy")
