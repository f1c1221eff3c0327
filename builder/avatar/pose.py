"""The idle motion: breathing and a slight sway, as a cycle of precomputed poses.

Everything is a function of the cycle phase u in [0, 1) and is periodic in it, so any playback
that walks the poses in order and wraps from the last to the first shows no jump.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from builder.avatar.canvas import Points

NECK = (640.0, 430.0)  # the head turns about the top of the neck
SHOULDER_Y, FLOOR_Y = 470.0, 720.0  # breathing lifts the shoulders; the bottom of the frame stays
BREATHS_PER_CYCLE = 2
BREATH_LIFT = 2.2  # reference pixels
SWAY = 2.6
TILT = math.radians(1.1)
NOD = 0.8
# The figure is designed life-size at 1280 x 720 and shown a little closer, framed like a streamer.
ZOOM = 1.12
ZOOM_ORIGIN = (640.0, 760.0)


def _zoom(x: np.ndarray, y: np.ndarray) -> Points:
    return np.column_stack(
        (ZOOM_ORIGIN[0] + (x - ZOOM_ORIGIN[0]) * ZOOM, ZOOM_ORIGIN[1] + (y - ZOOM_ORIGIN[1]) * ZOOM)
    )


@dataclass(frozen=True)
class Pose:
    breath: float  # upward lift of the shoulders, reference pixels (negative y)
    head_dx: float
    head_dy: float
    tilt: float  # radians, clockwise on screen

    @classmethod
    def at(cls, phase: float) -> Pose:
        a = 2 * math.pi * phase
        breath = BREATH_LIFT * 0.5 * (1 - math.cos(BREATHS_PER_CYCLE * a))
        return cls(
            breath=breath,
            head_dx=SWAY * math.sin(a),
            head_dy=-breath * 0.9 + NOD * math.sin(2 * a + 0.7),
            tilt=TILT * math.sin(a + 1.2),
        )

    def head(self, pts: Points) -> Points:
        """Head space → reference space: tilt about the neck, then follow the breath and sway."""
        c, s = math.cos(self.tilt), math.sin(self.tilt)
        x, y = pts[:, 0] - NECK[0], pts[:, 1] - NECK[1]
        return _zoom(NECK[0] + x * c - y * s + self.head_dx, NECK[1] + x * s + y * c + self.head_dy)

    def body(self, pts: Points) -> Points:
        """The torso stretches as it breathes: full lift at the shoulders, none at the frame's foot."""
        y = pts[:, 1]
        weight = np.clip((FLOOR_Y - y) / (FLOOR_Y - SHOULDER_Y), 0.0, 1.2)
        return _zoom(pts[:, 0] + self.head_dx * 0.25 * weight, y - self.breath * weight)


def cycle(count: int) -> list[Pose]:
    return [Pose.at(i / count) for i in range(count)]
