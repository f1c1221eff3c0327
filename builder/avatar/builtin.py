"""The built-in character as a sprite-builder scene: which boxes move, and drawing any window."""

from __future__ import annotations

import math

import numpy as np

from builder.avatar.canvas import Box, Canvas, Layout, identity
from builder.avatar.face import EYE_Y
from builder.avatar.figure import draw_figure
from builder.avatar.mouth import MOUTH_REACH, MOUTH_X, MOUTH_Y
from builder.avatar.pose import ZOOM, cycle
from builder.avatar.scene import backdrop, draw_trees, name_plate
from builder.avatar.sprites import EyeState
from builder.lipsync.visemes import Viseme
from builder.media import MediaFormat

# 48 poses over the idle cycle: the largest step between neighbours is about half a pixel, which
# reads as smooth motion, while the whole set stays small (tens of MB).
POSE_COUNT = 48
OPENNESS = {EyeState.OPEN: 1.0, EyeState.HALF: 0.4, EyeState.CLOSED: 0.0}
FIGURE_REACH = (272.0, 66.0, 1008.0, 720.0)  # everything the idle motion can move
PAD = 8
EYE_REACH = (-66.0, -40.0, 66.0, 22.0)  # around the point between the eyes


class DrawnScene:
    def __init__(self, fmt: MediaFormat, name: str, pose_count: int = POSE_COUNT) -> None:
        self.width, self.height = fmt.width, fmt.height
        self.layout = Layout(fmt)
        self.name = name
        self.poses = cycle(pose_count)
        self.pose_count = pose_count
        self.tile_box = self.layout.box(*FIGURE_REACH).clamp(self.width, self.height)
        self._sky: np.ndarray | None = None

    def _backdrop(self, box: Box) -> np.ndarray:
        # The backdrop never moves: shade it once, with a margin for windows at the frame's edge.
        if self._sky is None:
            self._sky = backdrop(self.layout, Box(-PAD, -PAD, self.width + PAD, self.height + PAD))
        return self._sky[box.y0 + PAD : box.y1 + PAD, box.x0 + PAD : box.x1 + PAD]

    def _patch(self, pose: int, centre: tuple[float, float], reach: tuple[float, ...]) -> Box:
        """A fixed-size box around a point of the head, following the head in this pose."""
        s = self.layout.scale * ZOOM
        ((cx, cy),) = self.layout.to_px(self.poses[pose].head(np.array([centre])))
        x0, y0 = math.floor(cx + reach[0] * s), math.floor(cy + reach[1] * s)
        w, h = math.ceil((reach[2] - reach[0]) * s) + 1, math.ceil((reach[3] - reach[1]) * s) + 1
        return Box(x0, y0, x0 + w, y0 + h).moved_inside(self.width, self.height)

    def mouth_box(self, pose: int) -> Box:
        return self._patch(pose, (MOUTH_X, MOUTH_Y), MOUTH_REACH)

    def eye_box(self, pose: int) -> Box:
        return self._patch(pose, (640.0, EYE_Y), EYE_REACH)

    def render(self, box: Box, pose: int, mouth: Viseme, eyes: EyeState) -> np.ndarray:
        # Pillow rasterises a shape cut by the image border a little differently along that border;
        # drawing a margin beyond the box and cropping it makes every window match the full frame.
        pad = Box(box.x0 - PAD, box.y0 - PAD, box.x1 + PAD, box.y1 + PAD)
        canvas = Canvas(self.layout, pad, self._backdrop(pad))
        canvas.transform = identity
        draw_trees(canvas)
        name_plate(canvas, self.name)
        draw_figure(canvas, self.poses[pose], mouth, OPENNESS[eyes])
        return canvas.pixels()[PAD:-PAD, PAD:-PAD]
