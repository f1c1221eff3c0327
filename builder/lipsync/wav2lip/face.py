"""Face boxes and the generator's 96x96 face crops (numpy + OpenCV, no torch).

Boxes come from OpenCV's Haar frontal-face cascade, once per avatar frame at preparation time,
then smoothed over time so the pasted mouth does not jitter. A manual box replaces detection for
a face the cascade misses (profile, stylised art). A box is (x1, y1, x2, y2), x2/y2 exclusive.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from builder.lipsync.base import LipSyncError

FACE_SIZE = 96
# Haar boxes stop near the bottom lip; the published models saw crops that include the chin
# (their detector's box plus 10 px at ~250 px faces), so the box is extended down by this much.
CHIN_PAD = 0.10
SMOOTH_FRAMES = 5  # the published inference smooths over 5 frames too
DETECT_WIDTH = 640  # detect on a copy at most this wide: 4x fewer pixels at 720p, same boxes


class NoFaceError(LipSyncError):
    """No face was found in the avatar; a manual face box is needed."""


def _cascade():  # noqa: ANN202 - cv2 types are not importable for annotations
    import cv2

    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    if cascade.empty():
        raise LipSyncError("OpenCV has no Haar face cascade (opencv-python-headless>=4.10,<5 ships it)")
    return cascade


def detect_face(frame: np.ndarray, cascade: object | None = None) -> tuple[int, int, int, int] | None:
    """The largest frontal face in an RGB frame, or None."""
    import cv2

    cascade = cascade or _cascade()
    scale = min(1.0, DETECT_WIDTH / frame.shape[1])
    gray = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
    if scale < 1.0:
        gray = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    found = cascade.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=5, minSize=(32, 32))
    if len(found) == 0:
        return None
    x, y, w, h = max(found, key=lambda f: f[2] * f[3]) / scale
    return round(x), round(y), round(x + w), round(y + h)


def detect_boxes(frames: Sequence[np.ndarray]) -> np.ndarray:
    """(N, 4) float boxes, one per frame; a frame without a face takes its nearest neighbour's."""
    cascade = _cascade()
    found = [detect_face(frame, cascade) for frame in frames]
    seen = [i for i, box in enumerate(found) if box is not None]
    if not seen:
        raise NoFaceError("no face found in the avatar: set a face box in its settings")
    nearest = [min(seen, key=lambda j: abs(j - i)) for i in range(len(found))]
    return np.array([found[j] for j in nearest], dtype=np.float64)


def smooth_boxes(boxes: np.ndarray, window: int = SMOOTH_FRAMES) -> np.ndarray:
    """Moving average over `window` frames (edges repeat), so boxes glide instead of jumping."""
    if len(boxes) < 2 or window < 2:
        return boxes.astype(np.float64)
    padded = np.pad(boxes.astype(np.float64), ((window // 2, window - 1 - window // 2), (0, 0)), mode="edge")
    kernel = np.ones(window) / window
    return np.stack([np.convolve(padded[:, k], kernel, mode="valid") for k in range(4)], axis=1)


def with_chin(boxes: np.ndarray, height: int, width: int) -> np.ndarray:
    """Integer boxes extended down by CHIN_PAD and clipped to the frame."""
    boxes = boxes.astype(np.float64).copy()
    boxes[:, 3] += CHIN_PAD * (boxes[:, 3] - boxes[:, 1])
    return clip_boxes(boxes, height, width)


def clip_boxes(boxes: np.ndarray, height: int, width: int) -> np.ndarray:
    out = np.rint(boxes).astype(np.int32)
    out[:, [0, 2]] = out[:, [0, 2]].clip(0, width)
    out[:, [1, 3]] = out[:, [1, 3]].clip(0, height)
    if np.any(out[:, 2] - out[:, 0] < 8) or np.any(out[:, 3] - out[:, 1] < 8):
        raise LipSyncError("the face box is smaller than 8 pixels or outside the frame")
    return out


def face_crops(frames: Sequence[np.ndarray], boxes: np.ndarray, size: int = FACE_SIZE) -> np.ndarray:
    """(N, size, size, 3) uint8 crops of each frame's box, BGR (the published models' channel order)."""
    import cv2

    crops = np.empty((len(frames), size, size, 3), dtype=np.uint8)
    for i, (frame, (x1, y1, x2, y2)) in enumerate(zip(frames, boxes, strict=True)):
        crop = np.ascontiguousarray(frame[y1:y2, x1:x2, ::-1])
        crops[i] = cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA)
    return crops
