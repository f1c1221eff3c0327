"""A small vector canvas over Pillow: smooth shapes, drawn supersampled, for any window of the frame.

Every shape is described in a fixed reference space of 1280 x 720 and passed through the current
point transform (the pose: head tilt, breathing), then the layout (scale to the output format),
then the window. Because any rectangle of the frame can be drawn on its own and comes out with
exactly the pixels it has in the full frame, the sprite builder can redraw just a mouth or an eye
region per pose instead of whole frames.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from builder.media import MediaFormat

REF_W, REF_H = 1280, 720
SS = 3  # supersampling factor: 9 samples a pixel give smooth edges; reduce() averages them exactly

Color = tuple[int, int, int]
Points = np.ndarray  # (n, 2) float, reference space
Transform = Callable[[Points], Points]


@dataclass(frozen=True)
class Box:
    """A rectangle of output pixels, x0/y0 inclusive, x1/y1 exclusive."""

    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        return self.y1 - self.y0

    @property
    def slices(self) -> tuple[slice, slice]:
        return slice(self.y0, self.y1), slice(self.x0, self.x1)

    def clamp(self, width: int, height: int) -> Box:
        return Box(max(0, self.x0), max(0, self.y0), min(width, self.x1), min(height, self.y1))

    def moved_inside(self, width: int, height: int) -> Box:
        """The same size, shifted (not cut) so that it lies within the frame."""
        dx = max(0, -self.x0) - max(0, self.x1 - width)
        dy = max(0, -self.y0) - max(0, self.y1 - height)
        return Box(self.x0 + dx, self.y0 + dy, self.x1 + dx, self.y1 + dy)


@dataclass(frozen=True)
class Layout:
    """Reference space → output pixels: scale to the frame height, centred horizontally."""

    fmt: MediaFormat

    @property
    def scale(self) -> float:
        return self.fmt.height / REF_H

    @property
    def offset_x(self) -> float:
        return (self.fmt.width - REF_W * self.scale) / 2

    def to_px(self, pts: Points) -> Points:
        return np.column_stack((pts[:, 0] * self.scale + self.offset_x, pts[:, 1] * self.scale))

    def box(self, x0: float, y0: float, x1: float, y1: float) -> Box:
        """The output pixels covering a reference-space rectangle (rounded outward)."""
        (a, b), (c, d) = self.to_px(np.array([[x0, y0], [x1, y1]], dtype=float))
        return Box(int(np.floor(a)), int(np.floor(b)), int(np.ceil(c)), int(np.ceil(d)))

    def pixel_grid(self, box: Box) -> tuple[np.ndarray, np.ndarray]:
        """Reference-space coordinates of the centres of the pixels in `box` (for shaders)."""
        xs = (np.arange(box.x0, box.x1) + 0.5 - self.offset_x) / self.scale
        ys = (np.arange(box.y0, box.y1) + 0.5) / self.scale
        return np.meshgrid(xs, ys)


def identity(pts: Points) -> Points:
    return pts


class Canvas:
    """Draws reference-space shapes into one window of the output frame, supersampled."""

    def __init__(self, layout: Layout, box: Box, backdrop: np.ndarray) -> None:
        self.layout, self.box = layout, box
        big = np.repeat(np.repeat(backdrop, SS, axis=0), SS, axis=1)
        self.image = Image.fromarray(big)
        self.draw = ImageDraw.Draw(self.image)
        self.transform: Transform = identity

    def _px(self, pts: Points) -> Points:
        out = self.layout.to_px(self.transform(np.asarray(pts, dtype=float)))
        out[:, 0] = (out[:, 0] - self.box.x0) * SS
        out[:, 1] = (out[:, 1] - self.box.y0) * SS
        return out

    def _visible(self, px: Points, pad: float = 0.0) -> bool:
        w, h = self.image.size
        lo, hi = px.min(axis=0) - pad, px.max(axis=0) + pad
        return bool(hi[0] >= 0 and hi[1] >= 0 and lo[0] <= w and lo[1] <= h)

    def shape(self, pts: Points, fill: Color) -> None:
        px = self._px(pts)
        if self._visible(px):
            self.draw.polygon([tuple(p) for p in px.tolist()], fill=fill)

    def ellipse(self, cx: float, cy: float, rx: float, ry: float, fill: Color, angle: float = 0.0) -> None:
        self.shape(ellipse(cx, cy, rx, ry, angle), fill)

    def stroke(self, pts: Points, fill: Color, width: float) -> None:
        """A line of `width` reference pixels with round ends."""
        px = self._px(pts)
        w = max(1, round(width * self.layout.scale * SS))
        if not self._visible(px, w):
            return
        coords = [tuple(p) for p in px.tolist()]
        self.draw.line(coords, fill=fill, width=w, joint="curve")
        r = w / 2
        for x, y in (coords[0], coords[-1]):
            self.draw.ellipse((x - r, y - r, x + r, y + r), fill=fill)

    def text(self, x: float, y: float, text: str, size: float, fill: Color, bold: bool = True) -> None:
        """Text with its left end at x and its vertical middle at y (reference space)."""
        face = font(round(size * self.layout.scale * SS), bold)
        ((px, py),) = self._px(np.array([[x, y]]))
        self.draw.text((px, py), text, font=face, fill=fill, anchor="lm")

    def pixels(self) -> np.ndarray:
        return np.asarray(self.image.reduce(SS))


def text_width(text: str, size: float, bold: bool = True) -> float:
    """Width of `text` in reference pixels at reference size `size`."""
    return font(round(size * 8), bold).getlength(text) / 8


_FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))


@lru_cache(maxsize=16)
def font(size: int, bold: bool) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    name = "DejaVuSerif-Bold.ttf" if bold else "DejaVuSerif.ttf"
    for folder in _FONT_DIRS:
        if (folder / name).exists():
            return ImageFont.truetype(str(folder / name), size)
    # Pillow's bundled font: plainer, but always there.
    return ImageFont.load_default(size)


def ellipse(cx: float, cy: float, rx: float, ry: float, angle: float = 0.0, n: int = 72) -> Points:
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    x, y = rx * np.cos(t), ry * np.sin(t)
    c, s = np.cos(angle), np.sin(angle)
    return np.column_stack((cx + x * c - y * s, cy + x * s + y * c))


def rounded_rect(x0: float, y0: float, x1: float, y1: float, r: float, n: int = 8) -> Points:
    corners = (
        (x1 - r, y0 + r, -np.pi / 2),
        (x1 - r, y1 - r, 0.0),
        (x0 + r, y1 - r, np.pi / 2),
        (x0 + r, y0 + r, np.pi),
    )
    t = np.linspace(0, np.pi / 2, n)
    return np.vstack(
        [np.column_stack((cx + r * np.cos(a + t), cy + r * np.sin(a + t))) for cx, cy, a in corners]
    )


def smooth(points: Sequence[tuple[float, float]], closed: bool = True, steps: int = 12) -> Points:
    """A Catmull-Rom curve through the given points: organic outlines from a few control points."""
    p = np.asarray(points, dtype=float)
    # Padding the ends lets the spline pass through the first and last given points.
    p = np.vstack((p[-1:], p, p[:2])) if closed else np.vstack((p[:1], p, p[-1:]))
    t = np.linspace(0, 1, steps, endpoint=False)[:, None]
    out = []
    for i in range(1, len(p) - 2):
        p0, p1, p2, p3 = p[i - 1], p[i], p[i + 1], p[i + 2]
        out.append(
            0.5
            * (
                2 * p1
                + (p2 - p0) * t
                + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t**2
                + (3 * p1 - p0 - 3 * p2 + p3) * t**3
            )
        )
    if not closed:
        out.append(p[-2:-1])
    return np.vstack(out)


def mix(a: Color, b: Color, t: float) -> Color:
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b, strict=True))  # type: ignore[return-value]
