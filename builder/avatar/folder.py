"""A character supplied as a folder of PNGs, turned into the same kind of sprite set.

Folder layout (every PNG the same canvas size; it is scaled to the output format if it differs)::

    my-character/
        base.png          required: the character, mouth at rest, eyes open. RGBA with a
                          transparent surround lets the character breathe (bob a pixel or two)
                          over the background; an opaque RGB picture stays still.
        background.png    optional: the scene behind a transparent base.png (else the built-in sky)
        rest.png          required: the resting mouth, transparent everywhere else
        a.png             required: the open mouth
        mbp.png e.png o.png u.png fv.png l.png s.png sh.png
                          optional: the other mouth shapes (names of builder.lipsync.visemes.Viseme);
                          a missing one borrows the nearest shape it has (e.g. u → o → a)
        eyes_closed.png   optional: closed eyes over base.png; without it the character never blinks
        eyes_half.png     optional: half-shut eyes for the blink's first and last frames

Mouth and eye PNGs are overlays drawn over base.png: transparent except the part they change.
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image

from builder.avatar.canvas import Box, Canvas, Layout
from builder.avatar.pose import BREATH_LIFT, BREATHS_PER_CYCLE
from builder.avatar.scene import backdrop, name_plate
from builder.avatar.sprites import EyeState
from builder.lipsync.visemes import Viseme
from builder.media import MediaFormat

FALLBACK = {
    Viseme.MBP: Viseme.REST,
    Viseme.E: Viseme.A,
    Viseme.S: Viseme.E,
    Viseme.O: Viseme.A,
    Viseme.U: Viseme.O,
    Viseme.FV: Viseme.S,
    Viseme.L: Viseme.E,
    Viseme.SH: Viseme.S,
}
POSE_COUNT = 24  # a whole-pixel-or-so bob needs fewer steps than the drawn character's sway


class SpriteFolderError(ValueError):
    """The folder is not a usable sprite set; the message says what is missing."""


def _alpha_box(images: list[Image.Image], margin: int, width: int, height: int) -> Box:
    boxes = [img.getchannel("A").getbbox() for img in images]
    boxes = [b for b in boxes if b]
    if not boxes:
        return Box(0, 0, 1, 1)  # nothing to paste: a 1-pixel patch that never differs
    x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    x1, y1 = max(b[2] for b in boxes), max(b[3] for b in boxes)
    return Box(x0 - margin, y0 - margin, x1 + margin, y1 + margin).clamp(width, height)


def _plate_overlay(layout: Layout, full: Box, name: str) -> Image.Image:
    """The name plate as a transparent layer, so it can go on top of any picture.

    Drawn once over black and once over white: where the two differ the plate is translucent
    (its anti-aliased edges), and the difference gives the alpha exactly.
    """
    renders = []
    for level in (0, 255):
        canvas = Canvas(layout, full, np.full((full.height, full.width, 3), level, np.uint8))
        name_plate(canvas, name)
        renders.append(canvas.pixels().astype(np.float32))
    on_black, on_white = renders
    alpha = np.clip(255 - (on_white - on_black).mean(axis=2), 0, 255)
    colour = np.where(alpha[..., None] > 0, on_black * 255 / np.maximum(alpha[..., None], 1), 0)
    rgba = np.dstack((np.clip(colour, 0, 255), alpha)).round().astype(np.uint8)
    return Image.fromarray(rgba, "RGBA")


class FolderScene:
    def __init__(self, folder: Path, fmt: MediaFormat, name: str) -> None:
        self.width, self.height = fmt.width, fmt.height
        base = self._open(folder / "base.png", required=True)
        self.base = base.convert("RGBA")
        self.mouths: dict[Viseme, Image.Image] = {}
        for shape in Viseme:
            img = self._open(folder / f"{shape.value}.png", required=shape in (Viseme.REST, Viseme.A))
            if img is not None:
                self.mouths[shape] = img.convert("RGBA")
        closed = self._open(folder / "eyes_closed.png")
        half = self._open(folder / "eyes_half.png")
        self.eyes = {EyeState.CLOSED: closed, EyeState.HALF: half or closed}
        self.eyes = {k: v.convert("RGBA") for k, v in self.eyes.items() if v is not None}
        # A transparent surround means the character is a layer of its own and may move.
        moving = self.base.getchannel("A").getextrema()[0] < 255
        self.pose_count = POSE_COUNT if moving else 1
        self.lift = math.ceil(BREATH_LIFT * fmt.height / 720) if moving else 0
        layout = Layout(fmt)
        bg_file = self._open(folder / "background.png")
        full = Box(0, 0, self.width, self.height)
        bg = np.asarray(bg_file.convert("RGB")) if bg_file is not None else backdrop(layout, full)
        self.background = Image.fromarray(bg).convert("RGBA")
        self.plate = _plate_overlay(layout, full, name)
        margin = self.lift + 2
        self.tile_box = _alpha_box([self.base], margin, self.width, self.height) if moving else full
        self._mouth_box = _alpha_box(list(self.mouths.values()), margin, self.width, self.height)
        self._eye_box = _alpha_box(list(self.eyes.values()), margin, self.width, self.height)

    def _open(self, path: Path, required: bool = False) -> Image.Image | None:
        if not path.exists():
            if required:
                raise SpriteFolderError(f"{path.parent.name}: {path.name} is missing")
            return None
        img = Image.open(path)
        img.load()
        if img.size != (self.width, self.height):
            img = img.convert("RGBA").resize((self.width, self.height), Image.Resampling.LANCZOS)
        return img

    def mouth_box(self, pose: int) -> Box:
        return self._mouth_box

    def eye_box(self, pose: int) -> Box:
        return self._eye_box

    def _mouth(self, shape: Viseme) -> Image.Image:
        while shape not in self.mouths:
            shape = FALLBACK[shape]
        return self.mouths[shape]

    @lru_cache(maxsize=4)  # noqa: B019 - one scene per build; the cache dies with it
    def _frame(self, pose: int, mouth: Viseme, eyes: EyeState) -> np.ndarray:
        char = Image.alpha_composite(self.base, self._mouth(mouth))
        if eyes in self.eyes:
            char = Image.alpha_composite(char, self.eyes[eyes])
        if self.pose_count > 1:
            phase = 2 * math.pi * BREATHS_PER_CYCLE * pose / self.pose_count
            lift = self.lift * 0.5 * (1 - math.cos(phase))
            # Shift in premultiplied alpha so the resampled edge does not pick up a dark fringe.
            char = (
                char.convert("RGBa")
                .transform(char.size, Image.Transform.AFFINE, (1, 0, 0, 0, 1, lift), Image.Resampling.BICUBIC)
                .convert("RGBA")
            )
        frame = Image.alpha_composite(Image.alpha_composite(self.background, char), self.plate)
        return np.asarray(frame.convert("RGB"))

    def render(self, box: Box, pose: int, mouth: Viseme, eyes: EyeState) -> np.ndarray:
        return self._frame(pose, mouth, eyes)[box.slices].copy()
