"""HLS preview segments an earlier encoder left behind (a restart, a crash) are swept when the next
one starts: ffmpeg deletes only the segments of its own playlist. A real ffmpeg encodes here."""

from __future__ import annotations

import os
import time

import numpy as np

from streamer.encoder import StreamEncoder
from streamer.outputs import PREVIEW_PLAYLIST, Outputs
from tests.streamer.conftest import SMALL


def encode(outputs: Outputs, seconds: float) -> None:
    encoder = StreamEncoder(SMALL, outputs)
    encoder.start()
    frame = np.zeros((SMALL.height, SMALL.width, 3), np.uint8)
    silence = bytes(SMALL.sample_rate // SMALL.fps * SMALL.channels * 2)
    for _ in range(round(seconds * SMALL.fps)):
        encoder.write(frame, silence)
    assert encoder.close(timeout=20) == 0


def age(paths, seconds: float) -> None:
    when = time.time() - seconds
    for path in paths:
        os.utime(path, (when, when))


def test_segments_left_by_an_earlier_encoder_are_swept_at_the_next_start(tmp_path):
    preview = tmp_path / "preview"
    outputs = Outputs(preview_dir=preview, hls_time=1, hls_list_size=2)
    encode(outputs, 3.0)
    written = sorted(preview.glob("seg-*.ts"))
    assert written, "the first encoder wrote no segment"
    # As a run an hour ago left them (segments are numbered by the second they start at: a run
    # seconds later would reuse these very names).
    left = [path.rename(preview / f"seg-{int(path.stem[4:]) - 3600}.ts") for path in written]
    age(left, 3600)
    recent = preview / "seg-1.ts"  # one a player may still be reading: younger than a playlist
    recent.write_bytes(b"ts")
    other = preview / "notes.txt"  # not ours: never touched
    other.write_text("keep")
    age([other], 3600)

    encode(outputs, 0.5)  # the streamer starts again

    assert not any(path.exists() for path in left)
    assert recent.exists() and other.exists() and (preview / PREVIEW_PLAYLIST).exists()


def test_the_sweep_keeps_what_a_playlist_still_lists(tmp_path):
    outputs = Outputs(preview_dir=tmp_path, hls_time=2, hls_list_size=6)  # 16 s kept
    young, old = tmp_path / "seg-100.ts", tmp_path / "seg-99.ts"
    for path in (young, old):
        path.write_bytes(b"ts")
    now = time.time()
    os.utime(young, (now - 10, now - 10))
    os.utime(old, (now - 20, now - 20))
    assert outputs.sweep_preview(now=now) == 1
    assert young.exists() and not old.exists()
    assert Outputs(rtmp_url="rtmp://host/app").sweep_preview() == 0  # no preview: nothing to do
