"""The MuseTalk engine end to end on CPU with tiny random-weight models: an avatar prepared once
(then from its cache), and a build on skimage's astronaut that redraws only the mouth and jaw."""

from __future__ import annotations

import numpy as np
from PIL import Image

from builder.lipsync.base import frame_count
from builder.lipsync.musetalk.avatar import EXTRA_MARGIN, prepare_avatar
from builder.lipsync.musetalk.engine import MuseTalkLipSync
from builder.lipsync.wav2lip.paste import MASK_COLS, MASK_ROWS
from builder.media import MediaFormat
from builder.tts.base import Speech

FMT = MediaFormat(width=320, height=240, fps=25)


def test_the_astronaut_speaks_with_only_her_mouth_and_jaw_redrawn(loaded, tmp_path):
    from skimage import data

    _, unet, vae, encoder, extractor = loaded
    source = tmp_path / "astronaut.png"
    Image.fromarray(data.astronaut()).save(source)
    avatar = prepare_avatar(source, FMT.width, FMT.height, FMT.fps, vae, cache_dir=tmp_path / "prep")
    assert avatar.prepared.faces.shape == (1, 256, 256, 3)
    assert avatar.masked_latents.shape == avatar.reference_latents.shape == (1, 4, 32, 32)
    assert not np.allclose(avatar.masked_latents, avatar.reference_latents)  # the lower half differs
    again = prepare_avatar(source, FMT.width, FMT.height, FMT.fps, vae, cache_dir=tmp_path / "prep")
    assert again.from_cache and np.array_equal(again.masked_latents, avatar.masked_latents)

    engine = MuseTalkLipSync(
        FMT, avatar, unet=unet, vae=vae, whisper=encoder, extractor=extractor, batch=4, first_batch=2
    )
    t = np.arange(int(0.5 * 22_050)) / 22_050
    speech = Speech((np.sin(2 * np.pi * 180 * t) * 9000).astype(np.int16), 22_050)
    frames = list(engine.render(speech, start_frame=7))
    assert len(frames) == frame_count(speech.duration, FMT.fps) == 13
    still = avatar.prepared.frames[0]
    changed = np.any(np.stack(frames) != still, axis=(0, 3))
    assert changed.any()  # the random model draws something
    x1, y1, x2, y2 = avatar.prepared.boxes[0]
    w, h = x2 - x1, y2 - y1
    ys, xs = np.nonzero(changed)
    # Only inside the jaw mask of the face box (chin margin included): every other pixel is hers.
    assert ys.min() >= y1 + MASK_ROWS[0] * h - 1 and ys.max() <= y1 + MASK_ROWS[3] * h + 1
    assert xs.min() >= x1 + MASK_COLS[0] * w - 1 and xs.max() <= x1 + MASK_COLS[3] * w + 1
    assert EXTRA_MARGIN > 0
    assert [f.shape for f in engine.idle_frames(2)] == [(240, 320, 3)] * 2
