"""Mouth timings derived from audio, for voices without phoneme events."""

import itertools

import numpy as np
import pytest

from builder.tts.base import VoiceSettings
from builder.tts.espeak import EspeakEngine
from builder.tts.timings import HOP, LABELS, MIN_SEGMENT, phoneme_timings

RATE = 22050


def tone(seconds: float, hz: float, level: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (level * 32767 * np.sin(2 * np.pi * hz * t)).astype(np.int16)


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * RATE), np.int16)


def noise(seconds: float, level: float = 0.3, seed: int = 0) -> np.ndarray:
    samples = np.random.default_rng(seed).normal(0, level, int(seconds * RATE)) * 32767
    return samples.clip(-32767, 32767).astype(np.int16)


def assert_covers(timings, duration):
    assert timings[0].start == 0 and timings[-1].end == pytest.approx(duration, abs=1e-9)
    for a, b in itertools.pairwise(timings):
        assert a.end == b.start, "consecutive: no gap, no overlap"
        assert a.phoneme != b.phoneme, "equal neighbours are merged"
    if duration >= MIN_SEGMENT:
        assert all(t.end - t.start >= MIN_SEGMENT - 1e-9 for t in timings)
    assert {t.phoneme for t in timings} <= set(LABELS)


def label_at(timings, t: float) -> str:
    return next(x.phoneme for x in timings if x.start <= t < x.end)


def test_silence_is_one_rest():
    assert [(t.phoneme, t.start, t.end) for t in phoneme_timings(silence(1.0), RATE)] == [("", 0.0, 1.0)]


def test_no_audio_gives_no_timings():
    assert phoneme_timings(np.zeros(0, np.int16), RATE) == []


def test_audio_shorter_than_a_segment_is_one_segment():
    timings = phoneme_timings(tone(0.015, 440), RATE)
    assert len(timings) == 1 and timings[0].end == pytest.approx(0.015, abs=1e-4)


def test_a_tone_burst_between_silences_is_found_where_it_is():
    pcm = np.concatenate([silence(0.3), tone(0.4, 300), silence(0.3)])
    timings = phoneme_timings(pcm, RATE)
    assert_covers(timings, 1.0)
    assert [t.phoneme for t in timings] == ["", "o", ""]
    assert timings[1].start == pytest.approx(0.3, abs=2 * HOP)
    assert timings[1].end == pytest.approx(0.7, abs=2 * HOP)


@pytest.mark.parametrize(("hz", "label"), [(300, "o"), (1200, "a"), (2500, "i")])
def test_the_brightness_of_a_loud_sound_picks_the_vowel(hz, label):
    timings = phoneme_timings(np.concatenate([silence(0.2), tone(0.5, hz)]), RATE)
    assert label_at(timings, 0.45) == label


def test_noise_hisses():
    pcm = np.concatenate([silence(0.2), noise(0.4), silence(0.2)])
    timings = phoneme_timings(pcm, RATE)
    assert [t.phoneme for t in timings] == ["", "s", ""]


def test_a_quiet_voice_next_to_a_loud_one_is_nearly_closed_lips():
    pcm = np.concatenate([tone(0.4, 300, level=0.5), tone(0.4, 300, level=0.02), silence(0.3)])
    timings = phoneme_timings(pcm, RATE)
    assert [label_at(timings, t) for t in (0.2, 0.6, 0.95)] == ["o", "m", ""]


def test_one_loud_click_does_not_turn_speech_into_silence():
    pcm = np.concatenate([tone(0.5, 300, level=0.1), silence(0.2)])
    pcm[int(0.6 * RATE)] = 32767
    assert label_at(phoneme_timings(pcm, RATE), 0.25) == "o"


@pytest.mark.parametrize("seed", range(40))
def test_rapidly_changing_audio_still_gives_steady_covering_segments(seed):
    """Bursts of 5-60 ms of silence, tones and noise: the mouth must not flicker, and the
    merging of short runs must hold for any order of them."""
    rng = np.random.default_rng(seed)
    parts = []
    for _ in range(rng.integers(5, 60)):
        seconds = float(rng.uniform(0.005, 0.06))
        kind = rng.integers(4)
        parts.append(
            silence(seconds)
            if kind == 0
            else noise(seconds, seed=seed)
            if kind == 1
            else tone(seconds, float(rng.choice([250, 1200, 2600])), level=float(rng.choice([0.02, 0.5])))
        )
    pcm = np.concatenate(parts)
    assert_covers(phoneme_timings(pcm, RATE), len(pcm) / RATE)


def test_it_works_at_other_sample_rates():
    rate = 24000
    t = np.arange(int(0.5 * rate)) / rate
    pcm = np.concatenate([np.zeros(rate // 4), 16000 * np.sin(2 * np.pi * 300 * t)]).astype(np.int16)
    timings = phoneme_timings(pcm, rate)
    assert [t.phoneme for t in timings] == ["", "o"]
    assert timings[1].start == pytest.approx(0.25, abs=2 * HOP)


@pytest.mark.parametrize(
    ("language", "text"),
    [("en", "Peace be with you. Go in peace, my friend."), ("fr", "La paix soit avec vous. Allez en paix.")],
)
def test_speech_and_pauses_agree_with_espeaks_own_timings(language, text):
    speech = EspeakEngine().synthesize(text, VoiceSettings(language=language))
    derived = phoneme_timings(speech.pcm, speech.sample_rate)
    assert_covers(derived, speech.duration)
    probes = np.arange(0.0, speech.duration - 0.01, 0.02)
    agree = np.mean([(label_at(derived, t) == "") == (label_at(speech.phonemes, t) == "") for t in probes])
    assert agree > 0.8
    # The pause between the two sentences is found by both.
    espeak_pauses = [t for t in speech.phonemes[1:-1] if t.phoneme == "" and t.end - t.start > 0.2]
    middle = (espeak_pauses[0].start + espeak_pauses[0].end) / 2
    assert label_at(derived, middle) == ""
