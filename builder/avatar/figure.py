"""The built-in character: a robed, bearded teacher, drawn as a flat illustration.

Shapes are in reference space (1280 x 720, the head centred at x = 640). Flat-illustration shading:
each surface is one colour plus one darker shape for its shadow; a shape drawn a few pixels lower
in a shadow colour before its owner gives a soft-looking cast shadow for free.
"""

from __future__ import annotations

import numpy as np

from builder.avatar.canvas import Canvas, Points, smooth
from builder.avatar.face import draw_eyes, draw_nose_and_cheeks
from builder.avatar.mouth import draw_mouth
from builder.avatar.palette import (
    BEARD,
    BEARD_DARK,
    HAIR,
    HAIR_DARK,
    HAIR_LIGHT,
    MANTLE,
    MANTLE_DARK,
    MANTLE_LIGHT,
    ROBE,
    ROBE_DARK,
    SKIN,
    SKIN_SHADOW,
)
from builder.avatar.pose import Pose
from builder.lipsync.visemes import Viseme


def _mirror(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The right half of a symmetric outline, completed with its mirror image about x = 640."""
    return points + [(1280 - x, y) for x, y in reversed(points) if x != 640]


def _shifted(pts: Points, dx: float, dy: float) -> Points:
    return pts + np.array([dx, dy])


HAIR_BACK = smooth(
    _mirror([(640, 162), (700, 168), (744, 200), (766, 262), (772, 340), (782, 420), (800, 496),
             (796, 532), (760, 526), (712, 480), (664, 470)])
)  # fmt: skip
HAIR_LOCK = smooth(
    [(736, 318), (764, 372), (782, 440), (800, 500), (814, 548), (790, 536), (766, 514), (744, 462),
     (726, 404), (720, 350)]
)  # fmt: skip
NECK = np.array([(606, 380), (674, 380), (684, 470), (680, 510), (600, 510), (596, 470)], dtype=float)
ROBE_OUTLINE = smooth(
    [(596, 452), (618, 480), (640, 488), (662, 480), (684, 452), (770, 474), (846, 500), (892, 538),
     (918, 600), (934, 680), (946, 760), (334, 760), (346, 680), (362, 600), (388, 538), (434, 500),
     (510, 474)]
)  # fmt: skip
ROBE_SHADE = smooth([(410, 524), (432, 570), (448, 650), (452, 760), (340, 760), (352, 640), (376, 566)])
MANTLE_OUTLINE = smooth(
    [(688, 456), (770, 474), (846, 500), (892, 538), (918, 600), (934, 680), (946, 760), (470, 760),
     (540, 680), (610, 610), (660, 540), (680, 490)]
)  # fmt: skip
MANTLE_SHADE = smooth([(940, 700), (950, 760), (720, 760), (780, 700), (860, 640), (912, 600)])
MANTLE_FOLDS = [
    smooth([(650, 590), (720, 610), (800, 660), (860, 740)], closed=False),
    smooth([(600, 660), (680, 680), (740, 730)], closed=False),
]
MANTLE_EDGE = smooth([(686, 460), (678, 500), (652, 550), (604, 614), (540, 684), (476, 760)], closed=False)
FACE = smooth(
    _mirror([(640, 186), (694, 196), (726, 236), (734, 292), (724, 352), (700, 398), (668, 424)])
)  # fmt: skip
FACE_SHADE = smooth([(712, 240), (732, 292), (724, 352), (700, 398), (670, 420), (700, 350), (712, 300)])
HAIR_FRONT = smooth(
    [(640, 176), (690, 176), (726, 204), (744, 250), (748, 310), (742, 350), (728, 332), (722, 290),
     (708, 244), (680, 214), (640, 204), (600, 214), (572, 244), (558, 290), (552, 332), (538, 350),
     (532, 310), (536, 250), (554, 204), (590, 176)]
)  # fmt: skip
HAIR_STRANDS = [
    smooth([(636, 186), (606, 198), (580, 226), (566, 264)], closed=False),
    smooth([(644, 186), (674, 198), (700, 226), (714, 264)], closed=False),
    smooth([(758, 380), (772, 440), (790, 500)], closed=False),
    smooth([(522, 380), (508, 440), (490, 500)], closed=False),
]
BEARD_SHAPE = smooth(
    _mirror([(640, 352), (676, 352), (702, 344), (722, 322), (729, 340), (724, 384), (706, 420),
             (678, 446), (656, 454)])
)  # fmt: skip
FOREHEAD_SHADE = smooth(
    [(572, 244), (600, 214), (640, 204), (680, 214), (708, 244), (704, 252), (678, 222), (640, 212),
     (602, 222), (576, 252)], steps=8
)  # fmt: skip
BEARD_STRANDS = [
    smooth([(606, 410), (618, 432), (632, 446)], closed=False),
    smooth([(674, 410), (662, 432), (648, 446)], closed=False),
    smooth([(584, 372), (590, 398), (602, 420)], closed=False),
    smooth([(696, 372), (690, 398), (678, 420)], closed=False),
]


def draw_body(canvas: Canvas, pose: Pose) -> None:
    canvas.transform = pose.body
    canvas.shape(NECK, SKIN)
    canvas.shape(np.array([(596, 430), (684, 430), (684, 472), (596, 472)], dtype=float), SKIN_SHADOW)
    canvas.shape(ROBE_OUTLINE, ROBE)
    canvas.shape(ROBE_SHADE, ROBE_DARK)
    canvas.stroke(smooth([(560, 560), (548, 650), (540, 740)], closed=False), ROBE_DARK, 3)
    canvas.shape(MANTLE_OUTLINE, MANTLE)
    canvas.shape(MANTLE_SHADE, MANTLE_DARK)
    for fold in MANTLE_FOLDS:
        canvas.stroke(fold, MANTLE_DARK, 4)
    canvas.stroke(MANTLE_EDGE, MANTLE_LIGHT, 5)


def draw_head(canvas: Canvas, pose: Pose, mouth: Viseme, eyes: float) -> None:
    """The head. `eyes` is how far the eyes are open: 1 open, 0 closed."""
    canvas.transform = pose.head
    canvas.shape(HAIR_LOCK, HAIR)
    canvas.shape(np.column_stack((1280 - HAIR_LOCK[:, 0], HAIR_LOCK[:, 1])), HAIR)
    canvas.shape(FACE, SKIN)
    canvas.shape(FACE_SHADE, SKIN_SHADOW)
    canvas.shape(FOREHEAD_SHADE, SKIN_SHADOW)
    canvas.shape(HAIR_FRONT, HAIR)
    for strand in HAIR_STRANDS:
        canvas.stroke(strand, HAIR_LIGHT, 2.2)
    draw_nose_and_cheeks(canvas)
    draw_eyes(canvas, eyes)
    canvas.shape(BEARD_SHAPE, BEARD)
    for strand in BEARD_STRANDS:
        canvas.stroke(strand, BEARD_DARK, 2.0)
    draw_mouth(canvas, mouth)


def draw_figure(canvas: Canvas, pose: Pose, mouth: Viseme, eyes: float) -> None:
    # The long hair hangs behind the shoulders, so it goes down before the body.
    canvas.transform = pose.head
    canvas.shape(HAIR_BACK, HAIR_DARK)
    draw_body(canvas, pose)
    draw_head(canvas, pose, mouth, eyes)
