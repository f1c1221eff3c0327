"""Mouth timings derived from audio, for voices without phoneme events."""

import itertools

import numpy as np
import pytest

from builder.tts.base import VoiceSettings
from builder.tts.espeak import EspeakEngine
from builder.tts.timings import MIN_SEGMENT, phoneme_timings

RATE = 22050


def tone(seconds: float, hz: float, level: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (level * 32767 * np.sin(2 * np.pi * hz * t)).astype(np.int16)


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * RATE), np.int16)


def assert_covers(timings, duration):
    assert timings[0].start == 0 and timings[-1].end == pytest.approx(duration)
    for a, b in itertools.pairwise(timings):
        assert a.end == pytest.approx(b.start)
    assert all(t.end - t.start >= MIN_SEGMENT - 1e-9 for t in timings[1:-1])


def test_silence_tone_and_noise_are_told_apart():
    noise = (np.random.default_rng(0).normal(0, 0.3, int(0.4 * RATE)) * 32767).clip(-32767, 32767)
    pcm = np.concatenate([silence(0.3), tone(0.4, 300), silence(0.3), noise.astype(np.int16), silence(0.2)])
    timings = phoneme_timings(pcm, RATE)
    assert_covers(timings, len(pcm) / RATE)
    labels = [t.phoneme for t in timings]
    assert labels[0] == "" and labels[-1] == ""
    assert "o" in labels and "s" in labels
    at = {round(t.start, 1): t.phoneme for t in timings}
    assert at[0.0] == ""


def test_all_silence_is_one_rest():
    assert [t.phoneme for t in phoneme_timings(silence(1.0), RATE)] == [""]


def test_speech_regions_agree_with_espeaks_own_timings():
    speech = EspeakEngine().synthesize("Peace be with you. Go in peace.", VoiceSettings())
    derived = phoneme_timings(speech.pcm, speech.sample_rate)
    assert_covers(derived, speech.duration)

    def speaking(timings, t):
        return next(x.phoneme for x in timings if x.start <= t < x.end or x.end == timings[-1].end) != ""

    probes = np.arange(0.0, speech.duration - 0.01, 0.02)
    agree = np.mean([speaking(derived, t) == speaking(speech.phonemes, t) for t in probes])
    assert agree > 0.8


def test_bursty_noise_of_any_shape_gives_covering_timings():
    rng = np.random.default_rng(7)
    for _ in range(20):
        envelope = np.repeat(rng.uniform(0, 1, 60) ** 3, RATE // 100)
        pcm = (rng.normal(0, 0.4, len(envelope)) * envelope * 32767).clip(-32767, 32767).astype(np.int16)
        assert_covers(phoneme_timings(pcm, RATE), len(pcm) / RATE)
