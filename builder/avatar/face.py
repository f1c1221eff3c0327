"""Eyes, eyebrows, nose and cheeks of the built-in character."""

from __future__ import annotations

import numpy as np

from builder.avatar.canvas import Canvas, smooth
from builder.avatar.palette import BLUSH, BROW, EYE_WHITE, IRIS, LASH, PUPIL, SKIN, SKIN_SHADOW

EYE_Y = 287.0
EYE_DX = 35.0  # from the face's centre line to each eye's centre
EYE_HALF_W = 15.5
LID_UP, LID_DOWN = 7.0, 5.5  # how far the open lids curve above and below the corner line


def _arc(cx: float, cy: float, height: float, side: int, n: int = 17) -> np.ndarray:
    """A lid curve from the inner to the outer corner; the outer corner sits a little higher."""
    u = np.linspace(-1, 1, n)
    x = cx + side * u * EYE_HALF_W
    y = cy - height * (1 - u**2) ** 0.8 - 1.2 * u
    return np.column_stack((x, y))


def _eye(canvas: Canvas, side: int, openness: float) -> None:
    cx, cy = 640 + side * EYE_DX, EYE_Y
    # Closing moves the upper lid down until it lies on the lower one: a closed eye is the lower
    # lid's curve, which reads as relaxed rather than squeezed.
    upper = _arc(cx, cy, LID_UP * openness - LID_DOWN * (1 - openness), side)
    lower = _arc(cx, cy, -LID_DOWN, side)
    if openness > 0.05:
        canvas.shape(np.vstack((upper, lower[::-1])), EYE_WHITE)
        ix, iy = cx + side * 0.5, cy + 1.0
        canvas.ellipse(ix, iy, 7.6, 7.6, IRIS)
        canvas.ellipse(ix, iy, 3.6, 3.6, PUPIL)
        canvas.ellipse(ix - 2.6, iy - 2.6, 1.8, 1.8, EYE_WHITE)
        # Skin above the upper lid and below the lower one trims the iris to the eye's shape.
        top = np.vstack(
            (
                [[upper[0, 0], cy - 22]],
                upper,
                [[upper[-1, 0] + side * 3, cy], [upper[-1, 0] + side * 3, cy - 22]],
            )
        )
        bottom = np.vstack(
            (
                [[lower[0, 0], cy + 14]],
                lower,
                [[lower[-1, 0] + side * 3, cy], [lower[-1, 0] + side * 3, cy + 14]],
            )
        )
        canvas.shape(top, SKIN)
        canvas.shape(bottom, SKIN)
        canvas.stroke(_arc(cx, cy, LID_UP * openness + 5.0, side)[3:-2], SKIN_SHADOW, 1.6)
    canvas.stroke(upper, LASH, 2.6)
    canvas.stroke(np.array([upper[-1], upper[-1] + [side * 3.5, -2.2]]), LASH, 2.0)
    if openness > 0.05:
        canvas.stroke(lower[4:-3], SKIN_SHADOW, 1.4)


def _brow(canvas: Canvas, side: int, drop: float) -> None:
    cx, cy = 640 + side * EYE_DX, EYE_Y - 21 + drop
    top = [
        (cx - side * 17, cy + 1),
        (cx - side * 4, cy - 5),
        (cx + side * 10, cy - 5),
        (cx + side * 21, cy + 1),
    ]
    under = [
        (cx + side * 20, cy + 2.5),
        (cx + side * 8, cy - 1.5),
        (cx - side * 5, cy - 0.5),
        (cx - side * 17, cy + 5.5),
    ]
    canvas.shape(smooth(top + under, steps=6), BROW)


def draw_eyes(canvas: Canvas, openness: float) -> None:
    for side in (-1, 1):
        _eye(canvas, side, openness)
        # The brows follow a blink a little, as real ones do.
        _brow(canvas, side, 1.5 * (1 - openness))


def draw_nose_and_cheeks(canvas: Canvas) -> None:
    for side in (-1, 1):
        canvas.ellipse(640 + side * 44, 322, 17, 9, BLUSH)
    canvas.stroke(smooth([(646, 292), (650, 312), (652, 326)], closed=False), SKIN_SHADOW, 2.4)
    # The nose is only its shadow: a crescent under the tip.
    tip = [(626, 326), (633, 331), (640, 332), (647, 331), (654, 326), (650, 334), (640, 338), (630, 334)]
    canvas.shape(smooth(tip, steps=6), SKIN_SHADOW)
