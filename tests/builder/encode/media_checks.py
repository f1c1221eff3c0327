"""Synthetic media for the encode tests, and PyAV readers to check what came out.

Each synthetic frame carries its own number (and a segment tag) as big black/white blocks that
survive compression, so a decoded frame says which input frame it was.
"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from builder.media import MediaFormat

BITS = 8


def frame(index: int, fmt: MediaFormat, tag: int = 0) -> np.ndarray:
    h, w = fmt.height, fmt.width
    image = np.empty((h, w, 3), np.uint8)
    # A moving gradient below the code blocks, so the encoder has something to encode.
    image[:, :, 0] = ((np.arange(w) + 4 * index) % 256)[None, :]
    image[:, :, 1] = ((np.arange(h) * 2) % 256)[:, None]
    image[:, :, 2] = 128
    block_w, block_h = w // BITS, h // 6
    for row, value in enumerate((index, tag)):
        for bit in range(BITS):
            on = (value >> bit) & 1
            image[row * block_h : (row + 1) * block_h, bit * block_w : (bit + 1) * block_w] = 255 if on else 0
    return image


def frames(n: int, fmt: MediaFormat, tag: int = 0) -> Iterator[np.ndarray]:
    for i in range(n):
        yield frame(i, fmt, tag)


def read_code(rgb: np.ndarray) -> tuple[int, int]:
    """(frame index, tag) drawn by `frame`, read back from a decoded RGB frame."""
    h, w = rgb.shape[:2]
    block_w, block_h = w // BITS, h // 6
    values = []
    for row in range(2):
        value = 0
        for bit in range(BITS):
            block = rgb[
                row * block_h + 4 : (row + 1) * block_h - 4, bit * block_w + 4 : (bit + 1) * block_w - 4
            ]
            value |= int(block.mean() > 128) << bit
        values.append(value)
    return values[0], values[1]


def tone(
    seconds: float, rate: int, freq: float = 440.0, amplitude: float = 0.5, start: float = 0.0
) -> np.ndarray:
    """Mono int16: silence until `start`, then a sine."""
    t = np.arange(round(seconds * rate)) / rate
    wave = amplitude * np.sin(2 * np.pi * freq * t) * (t >= start)
    return np.round(wave * 32767).astype(np.int16)


def video_frames(path: Path) -> list[av.VideoFrame]:
    with av.open(str(path)) as container:
        return list(container.decode(video=0))


def packets(path: Path, kind: str) -> list[av.Packet]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0] if kind == "video" else container.streams.audio[0]
        return [p for p in container.demux(stream) if p.size]


def audio(path: Path) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Decoded audio as float (channels x samples) and each decoded frame's (pts, samples).

    PyAV does not apply the end trim of the edit list, so the array may run on with the encoder's
    padding after the last real sample; durations are read from the container instead.
    """
    with av.open(str(path)) as container:
        decoded = list(container.decode(audio=0))
    return np.concatenate([f.to_ndarray() for f in decoded], axis=1), [(f.pts, f.samples) for f in decoded]


def stream_seconds(path: Path, kind: str) -> Fraction:
    with av.open(str(path)) as container:
        stream = container.streams.video[0] if kind == "video" else container.streams.audio[0]
        return stream.duration * stream.time_base


def nal_types(packet: bytes) -> list[int]:
    """NAL unit types in an MP4 (length-prefixed) H.264 packet: 5 is an IDR slice."""
    types, at = [], 0
    while at + 4 <= len(packet):
        size = int.from_bytes(packet[at : at + 4], "big")
        types.append(packet[at + 4] & 0x1F)
        at += 4 + size
    return types
