"""Model files that run code when unpickled: each creates a marker file, so a test can tell that a
loader refused the file before any of it ran (the marker never appears)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


class Bomb:
    """Pickles as a call to `exec`: unpickling it without `weights_only` runs the code."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return exec, (f"open({str(self.marker)!r}, 'w').close()",)


def save_bomb(path: Path, marker: Path, weights: dict[str, Any] | None = None, key: str = "model") -> Path:
    """A torch checkpoint `{key: weights, "config": Bomb}`, as a tampered download would be."""
    import torch

    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({key: weights or {"w": torch.zeros(2)}, "config": Bomb(marker)}, path)
    return path


def save_numpy_bomb(path: Path, marker: Path) -> Path:
    """An .npy file holding a pickled object (what `numpy.load(allow_pickle=True)` would run)."""
    import numpy as np

    array = np.empty(1, dtype=object)
    array[0] = Bomb(marker)
    np.save(path, array, allow_pickle=True)
    return path
