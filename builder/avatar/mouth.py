"""The mouth shapes (visemes) of the built-in character.

Each shape is an opening (upper and lower curve) with optional teeth and tongue, framed by the
lips. Teeth and tongue are built from the opening's own curves, so they never spill outside it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from builder.avatar.canvas import Canvas, smooth
from builder.avatar.palette import BEARD, BEARD_DARK, LIP, LIP_DARK, MOUTH_INSIDE, TEETH, TONGUE
from builder.lipsync.visemes import Viseme

MOUTH_X, MOUTH_Y = 640.0, 373.0
# The part of the face a mouth shape may change (reference space, relative to the mouth centre):
# the patch the sprite builder redraws per shape. Generous, as a clipped mouth would show a seam.
MOUTH_REACH = (-50.0, -38.0, 50.0, 42.0)


@dataclass(frozen=True)
class Shape:
    half_width: float
    top: float  # opening above the centre line
    bottom: float  # opening below it
    roundness: float = 1.5  # superellipse exponent: 2 = oval, lower = pointed corners
    teeth_top: float = 0.0  # how much of the upper teeth shows
    teeth_bottom: float = 0.0
    tongue: float = 0.0  # tongue height above the lower curve
    lower_lip: float = 5.0  # thickness at the middle
    tongue_up: bool = False  # tongue tip raised behind the upper teeth (l, th)
    tucked: bool = False  # lower lip drawn up under the upper teeth (f, v)


SHAPES = {
    Viseme.REST: Shape(17, 0, 0, lower_lip=5.0),
    Viseme.MBP: Shape(16, 0, 0, lower_lip=3.2),
    Viseme.A: Shape(18, 8, 16, 1.7, teeth_top=4.0, tongue=5.0),
    Viseme.E: Shape(21, 4.5, 6.5, 1.35, teeth_top=4.0, teeth_bottom=2.5),
    Viseme.O: Shape(12, 8, 12, 2.0, teeth_top=2.5, tongue=3.0, lower_lip=6.0),
    Viseme.U: Shape(7.5, 4.5, 5.5, 2.0, lower_lip=7.0),
    Viseme.FV: Shape(17, 4.5, 0.5, 1.4, teeth_top=4.5, lower_lip=6.0, tucked=True),
    Viseme.L: Shape(17, 7, 9, 1.6, teeth_top=3.5, tongue_up=True),
    Viseme.S: Shape(19, 3.2, 3.2, 1.3, teeth_top=3.2, teeth_bottom=3.2),
    Viseme.SH: Shape(13, 5.5, 7.0, 1.8, teeth_top=3.0, teeth_bottom=3.0, lower_lip=6.5),
}


def _curves(s: Shape, n: int = 25) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    u = np.linspace(-1, 1, n)
    f = (1 - np.abs(u) ** s.roundness) ** (1 / s.roundness)
    x = MOUTH_X + u * s.half_width
    # A slight upward curl at the corners keeps the resting face friendly.
    curl = 1.6 * u**2
    return x, MOUTH_Y - s.top * f - curl, MOUTH_Y + s.bottom * f - curl


def _between(x: np.ndarray, top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
    return np.vstack((np.column_stack((x, top)), np.column_stack((x, bottom))[::-1]))


def draw_mouth(canvas: Canvas, viseme: Viseme) -> None:
    s = SHAPES[viseme]
    x, up, low = _curves(s)
    u = np.linspace(-1, 1, len(x))
    # Lips: the opening grown outward, thin on top (the moustache hides most of it).
    lip_low = low + s.lower_lip * (1 - u**2) ** 0.7 + 1.0
    lip_x = MOUTH_X + (x - MOUTH_X) * 1.12
    canvas.shape(_between(lip_x, up - 2.4, lip_low), LIP)
    if s.top + s.bottom < 0.5:
        canvas.stroke(np.column_stack((x, up)), LIP_DARK, 2.2)
    else:
        canvas.shape(_between(x, up, low), MOUTH_INSIDE)
        if s.tongue:
            canvas.shape(
                _between(x[3:-3], np.maximum(up, low - s.tongue * (1 - u**2))[3:-3], low[3:-3]), TONGUE
            )
        if s.teeth_top:
            canvas.shape(_between(x[2:-2], up[2:-2], np.minimum(low, up + s.teeth_top)[2:-2]), TEETH)
        if s.teeth_bottom:
            canvas.shape(_between(x[3:-3], np.maximum(up, low - s.teeth_bottom)[3:-3], low[3:-3]), TEETH)
        if s.tongue_up:
            canvas.ellipse(MOUTH_X, MOUTH_Y - s.top + s.teeth_top + 3.0, 8.0, 4.5, TONGUE)
        if s.tucked:
            # The lower lip rolls up and in, meeting the upper teeth.
            tuck = MOUTH_Y + 1.0 - 1.2 * u**2
            canvas.shape(
                _between(x * 0.98 + MOUTH_X * 0.02, tuck, tuck + s.lower_lip * (1 - u**2) ** 0.6), LIP
            )
    draw_moustache(canvas)


MOUSTACHE = smooth(
    [(640, 341), (664, 338), (686, 348), (697, 366), (690, 368), (670, 359), (640, 362), (610, 359),
     (590, 368), (583, 366), (594, 348), (616, 338)], steps=10
)  # fmt: skip


def draw_moustache(canvas: Canvas) -> None:
    canvas.shape(MOUSTACHE, BEARD)
    canvas.stroke(smooth([(640, 344), (662, 344), (684, 356)], closed=False), BEARD_DARK, 1.6)
    canvas.stroke(smooth([(640, 344), (618, 344), (596, 356)], closed=False), BEARD_DARK, 1.6)
