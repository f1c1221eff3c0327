"""write_thumbnail: a small JPEG of one frame, with Pillow or, without it, with ffmpeg."""

from __future__ import annotations

import sys

import av
import numpy as np
import pytest

from builder.encode.thumbnail import write_thumbnail


def two_colours(height: int = 720, width: int = 1280) -> np.ndarray:
    frame = np.zeros((height, width, 3), np.uint8)
    frame[:, : width // 2] = (220, 30, 30)  # red left
    frame[:, width // 2 :] = (30, 30, 220)  # blue right
    return frame


def read_jpeg(path) -> np.ndarray:
    with av.open(str(path)) as container:
        assert container.format.name in {"image2", "jpeg_pipe"}
        assert container.streams.video[0].codec_context.name == "mjpeg"
        return next(container.decode(video=0)).to_ndarray(format="rgb24")


def check(path, size) -> None:
    assert path.read_bytes()[:3] == b"\xff\xd8\xff"  # a JPEG
    image = read_jpeg(path)
    assert image.shape[:2] == size
    h, w = size
    np.testing.assert_allclose(image[h // 2, w // 4], (220, 30, 30), atol=12)
    np.testing.assert_allclose(image[h // 2, 3 * w // 4], (30, 30, 220), atol=12)


def test_a_thumbnail_is_a_480_wide_jpeg_keeping_the_aspect(tmp_path):
    pytest.importorskip("PIL")
    assert write_thumbnail(two_colours(), tmp_path / "t.jpg") == tmp_path / "t.jpg"
    check(tmp_path / "t.jpg", (270, 480))


def test_without_pillow_ffmpeg_writes_the_thumbnail(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "PIL", None)  # import PIL now raises ImportError
    write_thumbnail(two_colours(), tmp_path / "t.jpg", width=320)
    check(tmp_path / "t.jpg", (180, 320))


def test_the_height_is_rounded_to_an_even_number(tmp_path):
    write_thumbnail(two_colours(333, 500), tmp_path / "t.jpg", width=250)
    assert read_jpeg(tmp_path / "t.jpg").shape[:2] == (166, 250)


def test_a_frame_that_is_not_rgb_uint8_is_refused(tmp_path):
    with pytest.raises(ValueError, match="RGB"):
        write_thumbnail(np.zeros((10, 10), np.uint8), tmp_path / "t.jpg")
    with pytest.raises(ValueError, match="RGB"):
        write_thumbnail(np.zeros((10, 10, 3), np.float32), tmp_path / "t.jpg")
