"""The engine on the CPU with a random-weight checkpoint: which pixels change, and which frames."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from builder.lipsync.base import frame_count  # noqa: E402
from builder.lipsync.wav2lip.factory import make_wav2lip  # noqa: E402
from builder.lipsync.wav2lip.paste import MASK_ROWS  # noqa: E402
from tests.builder.wav2lip.conftest import FMT, noise_speech  # noqa: E402


@pytest.fixture
def engine(astronaut, checkpoint, tmp_path):
    return make_wav2lip(
        FMT, source=astronaut, checkpoint=checkpoint, cache_dir=tmp_path / "cache", batch=4, allow_cpu=True
    )


def test_speech_changes_only_the_mouth_region_of_the_photo(engine, astronaut_image):
    speech = noise_speech(0.2)
    frames = list(engine.render(speech, start_frame=0))

    assert len(frames) == frame_count(speech.duration, FMT.fps) == 5
    ((x1, y1, x2, y2),) = engine.avatar.boxes
    mouth_top = y1 + int(MASK_ROWS[0] * (y2 - y1))
    for frame in frames:
        assert frame.shape == (512, 512, 3) and frame.dtype == np.uint8
        changed = np.any(frame != astronaut_image, axis=2)
        outside = changed.copy()
        outside[y1:y2, x1:x2] = False
        assert not outside.any(), "a pixel outside the face box changed"
        assert not changed[:mouth_top].any(), "the eyes or forehead changed"
        assert changed[mouth_top:y2, x1:x2].sum() > 0.2 * (y2 - mouth_top) * (x2 - x1)


def test_frames_are_absolute_so_speech_starts_where_the_idle_loop_is(astronaut, checkpoint, tmp_path):
    pytest.importorskip("av")
    engine = make_wav2lip(
        FMT, source=astronaut, checkpoint=checkpoint, cache_dir=tmp_path, batch=3, allow_cpu=True
    )
    idle = list(engine.idle_frames(3, start=40))
    assert engine.loop_frames == 1 and all(np.array_equal(f, engine.avatar.frames[0]) for f in idle)
    # Different start frames of one still image: same picture, same mouth for the same audio.
    speech = noise_speech(0.12, seed=4)
    a, b = list(engine.render(speech, start_frame=0)), list(engine.render(speech, start_frame=17))
    assert len(a) == len(b) == 3 and all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def test_empty_speech_renders_nothing_and_batches_split_as_asked(engine):
    assert list(engine.render(noise_speech(0.0))) == []
    assert engine._spans(11) == [(0, 4), (4, 8), (8, 11)]  # first batch min(8, batch), then batch
    engine.first_batch = 2
    assert engine._spans(7) == [(0, 2), (2, 6), (6, 7)]
    engine.first_batch, engine.batch = 8, 128
    assert engine.buckets() == [8, 16, 32, 64, 128]  # the only shapes the generator sees


def test_a_partial_batch_is_padded_to_a_bucket_and_gives_the_same_frames(engine, monkeypatch):
    speech = noise_speech(0.28, seed=2)  # 7 frames: batches of 4 and 3, the 3 padded to 4
    seen = []
    original = engine.generator.model.forward
    monkeypatch.setattr(engine.generator.model, "forward", lambda m, f: seen.append(len(m)) or original(m, f))
    padded = list(engine.render(speech))
    assert seen == [4, 4]
    engine.batch = engine.first_batch = 1
    single = list(engine.render(speech))
    assert len(padded) == len(single) == 7
    assert all(np.abs(a.astype(int) - b.astype(int)).max() <= 1 for a, b in zip(padded, single, strict=True))


def test_warm_up_runs_the_generator_once(engine, monkeypatch):
    calls = []
    original = engine.generator.model.forward
    monkeypatch.setattr(engine.generator.model, "forward", lambda *a: calls.append(1) or original(*a))
    engine.warm_up()
    assert calls
