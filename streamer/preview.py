"""The dashboard's live preview: the frame on air, as a small JPEG, about once a second.

Encoding happens on a thread of its own and a frame is simply skipped while the previous one is
still being written, so the preview can never slow the broadcast.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

import numpy as np
from PIL import Image

log = logging.getLogger(__name__)

PREVIEW_WIDTH = 480
PREVIEW_FRAME = "preview/frame.jpg"  # under MEDIA_ROOT; the dashboard serves it to moderators


class PreviewWriter:
    def __init__(self, path: Path, *, every: int) -> None:
        self.path = path
        self.every = max(1, every)
        self._busy = threading.Lock()

    def offer(self, frame_number: int, frame: np.ndarray) -> None:
        """Called for every frame sent; keeps one in `every`, if the writer is free."""
        if frame_number % self.every or not self._busy.acquire(blocking=False):
            return
        threading.Thread(target=self._write, args=(frame.copy(),), name="preview", daemon=True).start()

    def _write(self, frame: np.ndarray) -> None:
        try:
            image = Image.fromarray(frame)
            height = round(image.height * PREVIEW_WIDTH / image.width)
            image = image.resize((PREVIEW_WIDTH, height), Image.Resampling.BILINEAR)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            partial = self.path.with_suffix(".part")
            image.save(partial, "JPEG", quality=75)
            os.replace(partial, self.path)  # readers never see a half-written file
        except OSError:
            log.warning("could not write the preview frame", exc_info=True)
        finally:
            self._busy.release()
