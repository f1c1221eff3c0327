"""The setting behind the character: a golden-hour sky over Galilean hills, and the name plate.

The backdrop is computed per pixel from formulas (no drawing), so any window of it is exact and
edges are anti-aliased analytically at the output resolution.
"""

from __future__ import annotations

import numpy as np

from builder.avatar.canvas import Box, Canvas, Layout, rounded_rect, text_width

SKY_TOP = np.array([238.0, 178.0, 128.0])
SKY_HORIZON = np.array([253.0, 228.0, 184.0])
SUN = np.array([255.0, 246.0, 214.0])
HILLS = [  # colour (far to near), base height, waves (amplitude, wavelength, phase)
    (np.array([214.0, 158.0, 128.0]), 486.0, ((22, 210, 0.4), (9, 83, 1.9))),
    (np.array([181.0, 124.0, 104.0]), 548.0, ((30, 260, 2.5), (11, 97, 0.3))),
    (np.array([140.0, 98.0, 86.0]), 628.0, ((26, 330, 4.1), (8, 120, 1.2))),
]
SUN_CENTRE = (640.0, 300.0)


def _ridge(x: np.ndarray, base: float, waves: tuple) -> np.ndarray:
    return base + sum(a * np.sin(x / w + p) for a, w, p in waves)


def backdrop(layout: Layout, box: Box) -> np.ndarray:
    """The background pixels of `box`, uint8 RGB."""
    x, y = layout.pixel_grid(box)
    t = np.clip(y / 500.0, 0, 1)[..., None]
    img = SKY_TOP * (1 - t) + SKY_HORIZON * t
    # A soft sun behind the head: warm light that fades with distance (a halo without a disc).
    d = np.hypot(x - SUN_CENTRE[0], (y - SUN_CENTRE[1]) * 1.1)
    glow = (np.exp(-((d / 250.0) ** 2)) * 0.85 + np.exp(-((d / 90.0) ** 2)) * 0.25)[..., None]
    img = img + (SUN - img) * np.clip(glow, 0, 1)
    px = 1.0 / layout.scale  # one output pixel in reference units: the width of an edge's blend
    for i, (colour, base, waves) in enumerate(HILLS):
        ridge = _ridge(x, base, waves)
        cover = np.clip((y - ridge) / px + 0.5, 0, 1)[..., None]
        # Aerial perspective: each hill lightens toward its ridge, as if in haze.
        haze = np.clip((y - ridge) / 160.0, 0, 1)[..., None]
        shade = colour * (1.04 - 0.10 * haze) - 4 * i
        img = img * (1 - cover) + shade * cover
    # Vignette: the corners fall off gently, pulling the eye to the centre.
    nx, ny = (x - 640.0) / 640.0, (y - 330.0) / 420.0
    r = np.hypot(nx, ny)
    img = img * (1 - 0.32 * np.clip((r - 0.55) / 0.75, 0, 1) ** 1.6)[..., None]
    return np.clip(img + 0.5, 0, 255).astype(np.uint8)


# Olive trees on the hills, away from the figure: (x, which hill, size). Hazier when farther.
TREES = [(118.0, 1, 1.0), (205.0, 1, 0.75), (1085.0, 1, 0.95), (1170.0, 0, 0.6), (980.0, 0, 0.5)]
OLIVE = np.array([118.0, 112.0, 82.0])
TRUNK = np.array([92.0, 70.0, 56.0])
# Canopy blobs: x offset, height up the tree (share of its height), radii.
CANOPY = ((-14, 0.62, 20, 12), (12, 0.66, 22, 13), (0, 0.86, 24, 15), (-4, 0.72, 28, 14))


def draw_trees(canvas: Canvas) -> None:
    for x, hill, size in TREES:
        colour, base, waves = HILLS[hill]
        ground = float(_ridge(np.array(x), base, waves)) + 6 * size
        haze = 0.45 if hill == 0 else 0.2
        leaf = tuple(int(c) for c in OLIVE * (1 - haze) + colour * haze)
        bark = tuple(int(c) for c in TRUNK * (1 - haze) + colour * haze)
        h = 58 * size
        trunk = [(-3, 0), (3, 0), (2, -0.6 * h / size), (-2, -0.6 * h / size)]
        canvas.shape(np.array([(x + dx * size, ground + dy * size) for dx, dy in trunk]), bark)
        for dx, dy, rx, ry in CANOPY:
            canvas.ellipse(x + dx * size, ground - h * dy, rx * size, ry * size, leaf)


PLATE_X, PLATE_Y, PLATE_H = 56.0, 628.0, 56.0
PLATE_FILL = (58, 36, 34)
PLATE_EDGE = (214, 170, 92)
PLATE_TEXT = (252, 240, 220)
PLATE_SIZE = 30.0


def name_plate(canvas: Canvas, name: str) -> None:
    """A lower-third plate: dark rounded card, gold bar on the left, the name in serif capitals."""
    if not name:
        return
    label = name.upper()
    width = text_width(label, PLATE_SIZE) + 64
    x0, y0, x1, y1 = PLATE_X, PLATE_Y, PLATE_X + width, PLATE_Y + PLATE_H
    canvas.shape(rounded_rect(x0 - 2, y0 - 2, x1 + 2, y1 + 2, 12), (40, 26, 24))
    canvas.shape(rounded_rect(x0, y0, x1, y1, 10), PLATE_FILL)
    canvas.shape(rounded_rect(x0 + 16, y0 + 13, x0 + 22, y1 - 13, 2, 3), PLATE_EDGE)
    canvas.text(x0 + 40, (y0 + y1) / 2 + 1, label, PLATE_SIZE, PLATE_TEXT)
