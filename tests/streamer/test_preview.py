import time

import numpy as np
from PIL import Image

from streamer.preview import PREVIEW_WIDTH, PreviewWriter


def test_one_frame_in_every_n_becomes_a_small_jpeg(tmp_path):
    path = tmp_path / "preview" / "frame.jpg"
    writer = PreviewWriter(path, every=30)
    red = np.zeros((720, 1280, 3), np.uint8)
    red[..., 0] = 255
    for n in range(1, 30):
        writer.offer(n, red)  # not on the beat: nothing written
    time.sleep(0.2)
    assert not path.exists()
    writer.offer(30, red)
    deadline = time.monotonic() + 5
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    with Image.open(path) as image:
        assert image.size == (PREVIEW_WIDTH, 270)
        r, g, b = image.getpixel((10, 10))
        assert r > 240 and g < 15 and b < 15
    assert not path.with_suffix(".part").exists()
