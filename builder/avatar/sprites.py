"""A prepared sprite set: everything a frame needs, precomposed, so a frame is a copy and three pastes.

Layout of a set (all uint8 RGB):
- `background`: the whole frame at pose 0, mouth at rest, eyes open.
- `tiles[pose]`: the region where the idle motion changes anything (`tile_box`), per pose.
- `mouths[pose, shape]`: the mouth region of that pose with each mouth shape.
- `eyes[pose, state]`: the eye region of that pose, eyes open, half shut and closed.

Patches are opaque: each was drawn as the full scene cropped to its box, so its edges match the
tile around it exactly and a paste leaves no seam.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import astuple, dataclass
from enum import IntEnum
from pathlib import Path
from typing import Protocol

import numpy as np

from builder.avatar.canvas import Box
from builder.lipsync.visemes import Viseme

MOUTH_SHAPES: tuple[Viseme, ...] = tuple(Viseme)


class EyeState(IntEnum):
    OPEN = 0
    HALF = 1
    CLOSED = 2


class Scene(Protocol):
    """What the sprite builder needs from a character: its boxes and a way to draw any window."""

    width: int
    height: int
    pose_count: int
    tile_box: Box

    def mouth_box(self, pose: int) -> Box: ...

    def eye_box(self, pose: int) -> Box: ...

    def render(self, box: Box, pose: int, mouth: Viseme, eyes: EyeState) -> np.ndarray: ...


@dataclass
class SpriteAvatar:
    name: str
    background: np.ndarray
    tile_box: Box
    tiles: np.ndarray
    mouth_origins: np.ndarray  # (poses, 2) x, y of each pose's mouth patch
    mouths: np.ndarray
    eye_origins: np.ndarray
    eyes: np.ndarray
    origin: str = "drawn"  # "drawn", "disk" or "memory": where this copy came from

    @property
    def pose_count(self) -> int:
        return len(self.tiles)

    @property
    def size(self) -> tuple[int, int]:
        return self.background.shape[1], self.background.shape[0]

    def _box(self, origins: np.ndarray, patches: np.ndarray, pose: int) -> Box:
        x, y = (int(v) for v in origins[pose])
        return Box(x, y, x + patches.shape[3], y + patches.shape[2])

    def mouth_box(self, pose: int) -> Box:
        return self._box(self.mouth_origins, self.mouths, pose)

    def eye_box(self, pose: int) -> Box:
        return self._box(self.eye_origins, self.eyes, pose)

    def compose(
        self,
        pose: int,
        mouth: Viseme = Viseme.REST,
        eyes: EyeState = EyeState.OPEN,
        out: np.ndarray | None = None,
    ) -> np.ndarray:
        """One frame. Writes into `out` when given (no allocation), else into a new array."""
        if out is None:
            out = np.empty_like(self.background)
        np.copyto(out, self.background)
        out[self.tile_box.slices] = self.tiles[pose]
        # The tile already shows the resting mouth and open eyes: paste only what differs.
        if mouth is not Viseme.REST:
            out[self.mouth_box(pose).slices] = self.mouths[pose, MOUTH_SHAPES.index(mouth)]
        if eyes is not EyeState.OPEN:
            out[self.eye_box(pose).slices] = self.eyes[pose, eyes]
        return out

    def save(self, path: Path) -> None:
        meta = {"name": self.name, "tile_box": list(astuple(self.tile_box))}
        # A name of this writer's own: two processes drawing the same set at once (two workers on
        # one MEDIA_ROOT) would otherwise interleave their bytes in one temporary file.
        tmp = path.with_name(f"{path.name}.{os.getpid()}-{threading.get_ident()}.tmp.npz")
        # Flat art compresses ~25x; loading costs a few tenths of a second, once per process.
        np.savez_compressed(
            tmp,
            meta=np.array(json.dumps(meta)),
            background=self.background,
            tiles=self.tiles,
            mouth_origins=self.mouth_origins,
            mouths=self.mouths,
            eye_origins=self.eye_origins,
            eyes=self.eyes,
        )
        tmp.replace(path)  # a reader never sees half a file, even with two workers building at once

    @classmethod
    def load(cls, path: Path) -> SpriteAvatar:
        with np.load(path) as data:
            meta = json.loads(str(data["meta"]))
            arrays = {
                k: data[k] for k in ("background", "tiles", "mouth_origins", "mouths", "eye_origins", "eyes")
            }
        return cls(name=meta["name"], tile_box=Box(*meta["tile_box"]), origin="disk", **arrays)


def build_sprites(scene: Scene, name: str) -> SpriteAvatar:
    """Draw every piece of the set once."""
    poses = range(scene.pose_count)
    full = Box(0, 0, scene.width, scene.height)
    tiles = np.stack([scene.render(scene.tile_box, p, Viseme.REST, EyeState.OPEN) for p in poses])
    mouths = np.stack(
        [
            np.stack([scene.render(scene.mouth_box(p), p, v, EyeState.OPEN) for v in MOUTH_SHAPES])
            for p in poses
        ]
    )
    eyes = np.stack(
        [np.stack([scene.render(scene.eye_box(p), p, Viseme.REST, e) for e in EyeState]) for p in poses]
    )
    return SpriteAvatar(
        name=name,
        background=scene.render(full, 0, Viseme.REST, EyeState.OPEN),
        tile_box=scene.tile_box,
        tiles=tiles,
        mouth_origins=np.array(
            [[scene.mouth_box(p).x0, scene.mouth_box(p).y0] for p in poses], dtype=np.int32
        ),
        mouths=mouths,
        eye_origins=np.array([[scene.eye_box(p).x0, scene.eye_box(p).y0] for p in poses], dtype=np.int32),
        eyes=eyes,
    )
