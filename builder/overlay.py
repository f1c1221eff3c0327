"""Broadcast graphics burned into a clip: the question as a banner, the spoken sentence as a caption.

Each graphic is drawn once (Pillow, RGBA) and then blended into every frame it covers with integer
arithmetic on its own small region, so it costs about a millisecond a frame. Text is drawn as
text: viewer names and questions are data, whatever characters they hold.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from builder.avatar.canvas import font
from builder.media import MediaFormat

BANNER_CHARS = 110
CAPTION_LINE_CHARS = 52


@dataclass(frozen=True)
class Overlay:
    x: int
    y: int
    rgb: np.ndarray  # h x w x 3, uint16, premultiplied by alpha (0..256)
    alpha: np.ndarray  # h x w x 1, uint16, 0..256

    def apply(self, frame: np.ndarray) -> np.ndarray:
        """Blend into `frame` in place (and return it)."""
        h, w = self.alpha.shape[:2]
        region = frame[self.y : self.y + h, self.x : self.x + w]
        mixed = (region.astype(np.uint16) * (256 - self.alpha) + self.rgb) >> 8
        region[...] = mixed.astype(np.uint8)
        return frame


def _overlay(image: Image.Image, x: int, y: int) -> Overlay:
    rgba = np.asarray(image, dtype=np.uint16)
    alpha = (rgba[..., 3:4] * 256 + 127) // 255
    return Overlay(x=x, y=y, rgb=rgba[..., :3] * alpha, alpha=alpha)


def _boxed_text(lines: list[str], size: int, fmt: MediaFormat, bold_first: str = "") -> Image.Image:
    face, bold = font(size, False), font(size, True)
    pad, gap = size // 2, size // 4
    widths = [
        int(bold.getlength(bold_first) + face.getlength(line)) if i == 0 else int(face.getlength(line))
        for i, line in enumerate(lines)
    ]
    width = min(fmt.width - 2 * pad, max(widths) + 2 * pad)
    height = len(lines) * (size + gap) - gap + 2 * pad
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, width - 1, height - 1), radius=size // 2, fill=(20, 18, 24, 190))
    y = pad
    for i, line in enumerate(lines):
        x = pad
        if i == 0 and bold_first:
            draw.text((x, y), bold_first, font=bold, fill=(240, 196, 90, 255))
            x += int(bold.getlength(bold_first))
        draw.text((x, y), line, font=face, fill=(245, 242, 235, 255))
        y += size + gap
    return image


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def question_banner(viewer: str, question: str, fmt: MediaFormat) -> Overlay:
    """ "@viewer asks: …" across the top of the picture."""
    size = max(10, fmt.height // 32)
    image = _boxed_text([_short(question, BANNER_CHARS)], size, fmt, bold_first=f"@{viewer} asks: ")
    return _overlay(image, (fmt.width - image.width) // 2, fmt.height // 30)


def caption(text: str, fmt: MediaFormat) -> Overlay:
    """The sentence being spoken, at most two lines, centred near the bottom."""
    size = max(10, fmt.height // 26)
    lines = textwrap.wrap(_short(text, 2 * CAPTION_LINE_CHARS), CAPTION_LINE_CHARS)[:2] or [""]
    image = _boxed_text(lines, size, fmt)
    return _overlay(image, (fmt.width - image.width) // 2, fmt.height - image.height - fmt.height // 14)


def with_overlays(frames: Iterator[np.ndarray], overlays: list[Overlay]) -> Iterator[np.ndarray]:
    for frame in frames:
        for overlay in overlays:
            overlay.apply(frame)
        yield frame
