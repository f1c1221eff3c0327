# ruff: noqa: RUF001 - IPA symbols in the test speech
"""The sprite lip-sync engine: speech in, frames of the character saying it out."""

import itertools

import numpy as np
import pytest

from builder.avatar.sprites import EyeState
from builder.lipsync.base import LipSyncEngine, LipSyncError
from builder.lipsync.sprite import SpriteLipSync, blink_schedule
from builder.lipsync.visemes import Viseme
from builder.media import MediaFormat
from builder.tts.base import PhonemeTiming as P
from builder.tts.base import Speech
from tests.builder.lipsync.conftest import SMALL


def _speech(seconds, phonemes, rate=16_000):
    return Speech(pcm=np.zeros(round(seconds * rate), np.int16), sample_rate=rate, phonemes=phonemes)


@pytest.fixture
def engine(small_avatar):
    return SpriteLipSync(SMALL, small_avatar, loop_seconds=8)


def _mouth(engine, frame, index):
    return frame[engine.avatar.mouth_box(engine.pose_at(index)).slices]


def test_it_is_a_lip_sync_engine_called_sprite(engine):
    assert isinstance(engine, LipSyncEngine) and engine.name == "sprite"
    assert engine.loop_frames == 240


@pytest.mark.parametrize(("seconds", "frames"), [(1.0, 30), (1.01, 31), (2.5, 75), (0.0, 0)])
def test_it_renders_one_frame_per_thirtieth_of_a_second_of_audio(engine, seconds, frames):
    rendered = list(engine.render(_speech(seconds, [P("a", 0, seconds)])))
    assert len(rendered) == frames
    assert all(f.shape == (180, 320, 3) and f.dtype == np.uint8 for f in rendered)


def test_the_mouth_follows_the_phonemes_and_rests_in_silence(engine):
    speech = _speech(1.5, [P("", 0.0, 0.5), P("a", 0.5, 1.0), P("", 1.0, 1.5)])
    frames = list(engine.render(speech))
    avatar = engine.avatar
    for i in (2, 10, 40):  # silence
        assert np.array_equal(_mouth(engine, frames[i], i), avatar.mouths[engine.pose_at(i), 0])
    for i in (20, 25):  # inside the /a/
        a = list(Viseme).index(Viseme.A)
        assert np.array_equal(_mouth(engine, frames[i], i), avatar.mouths[engine.pose_at(i), a])


def test_outside_the_mouth_speech_looks_exactly_like_the_idle_motion(engine):
    speech = _speech(2.0, [P("m", 0.1, 0.3), P("aɪ", 0.3, 0.8), P("s", 0.8, 1.1), P("oʊ", 1.1, 1.9)])
    for i, (spoken, idle) in enumerate(
        zip(engine.render(speech, start_frame=100), engine.idle_frames(60, 100), strict=True)
    ):
        changed = np.any(spoken != idle, axis=2)
        changed[engine.avatar.mouth_box(engine.pose_at(100 + i)).slices] = False
        assert not changed.any(), i


def test_speech_continues_the_idle_motion_where_it_cuts_in(engine):
    idle = list(engine.idle_frames(31, start=50))
    first_spoken = next(engine.render(_speech(1.0, [P("", 0, 1.0)]), start_frame=80))
    assert np.array_equal(first_spoken, idle[30])


def _assert_seamless(frames):
    """Last → first is an ordinary step of the motion, not a jump."""
    frames = [f.astype(np.int16) for f in frames]
    steps = [np.abs(a - b).mean() for a, b in itertools.pairwise(frames)]
    moving = [s for s in steps if s > 0]  # poses are held a few frames each
    wrap = np.abs(frames[-1] - frames[0]).mean()
    assert wrap <= 1.5 * np.median(moving)
    assert wrap < 0.25 * np.abs(frames[0] - frames[len(frames) // 4]).mean()


def test_the_idle_loop_wraps_without_a_jump(engine):
    _assert_seamless(list(engine.idle_loop()))


@pytest.mark.parametrize("n", [100, 333])
def test_an_idle_loop_of_any_length_is_seamless(engine, n):
    frames = list(engine.idle_loop(n))
    assert len(frames) == n
    _assert_seamless(frames)


def test_the_idle_loop_breathes(engine):
    frames = list(engine.idle_loop())
    assert not np.array_equal(frames[0], frames[len(frames) // 4])


def test_blinks_come_every_few_seconds_briefly_and_never_at_the_edges():
    fps, n = 30, 30 * 60
    eyes = blink_schedule(n, fps, seed=3)
    closing = [i for i in range(1, n) if eyes[i] != EyeState.OPEN and eyes[i - 1] == EyeState.OPEN]
    gaps = np.diff(closing) / fps
    assert 8 <= len(closing) <= 20
    assert gaps.min() >= 2.9 and gaps.max() <= 6.1
    assert closing[0] >= fps  # not in the first second
    assert all(eyes[-int(0.5 * fps) :] == EyeState.OPEN)  # none straddles the wrap
    lengths = [int(np.argmax(eyes[c:] == EyeState.OPEN)) for c in closing]
    assert set(lengths) == {round(0.15 * fps)}
    assert EyeState.CLOSED in eyes and EyeState.HALF in eyes


def test_blinks_are_the_same_every_time():
    assert np.array_equal(blink_schedule(900, 30, seed=1), blink_schedule(900, 30, seed=1))
    assert not np.array_equal(blink_schedule(900, 30, seed=1), blink_schedule(900, 30, seed=2))


def test_the_engine_shows_the_blinks(engine):
    blinking = next(i for i in range(engine.loop_frames) if engine.eyes_at(i) is EyeState.CLOSED)
    frame = next(engine.idle_frames(1, blinking))
    assert np.array_equal(
        frame[engine.avatar.eye_box(engine.pose_at(blinking)).slices],
        engine.avatar.eyes[engine.pose_at(blinking), EyeState.CLOSED],
    )


def test_it_refuses_a_sprite_set_of_another_size(small_avatar):
    with pytest.raises(ValueError, match="320, 180"):
        SpriteLipSync(MediaFormat(), small_avatar)


def test_the_base_class_loops_only_over_its_own_length(engine):
    with pytest.raises(LipSyncError):
        LipSyncEngine.idle_loop(engine, 17)
    assert len(list(LipSyncEngine.idle_loop(engine))) == engine.loop_frames
