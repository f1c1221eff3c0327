# ruff: noqa: RUF001 - IPA symbols are the subject here
"""Phonemes as espeak-ng writes them (English and French) to mouth shapes, and per-frame tracks."""

import random

import pytest

from builder.lipsync.base import frame_count
from builder.lipsync.visemes import DEFAULT, Viseme, viseme_for, viseme_parts, viseme_track
from builder.tts.base import PhonemeTiming as P


@pytest.mark.parametrize(
    ("phoneme", "viseme"),
    [
        # English
        ("m", Viseme.MBP), ("b", Viseme.MBP), ("p", Viseme.MBP),
        ("ˈɑː", Viseme.A), ("æ", Viseme.A), ("ˌʌ", Viseme.A),
        ("iː", Viseme.E), ("ɪ", Viseme.E), ("ɛ", Viseme.E),
        ("ɔː", Viseme.O), ("uː", Viseme.U), ("ʊ", Viseme.U), ("w", Viseme.U),
        ("f", Viseme.FV), ("v", Viseme.FV),
        ("θ", Viseme.L), ("ð", Viseme.L), ("l", Viseme.L),
        ("s", Viseme.S), ("t", Viseme.S), ("k", Viseme.S), ("ŋ", Viseme.S),
        ("ʃ", Viseme.SH), ("tʃ", Viseme.SH), ("t͡ʃ", Viseme.SH), ("dʒ", Viseme.SH), ("ɹ", Viseme.SH),
        # French
        ("a", Viseme.A), ("ɑ̃", Viseme.A), ("o", Viseme.O), ("ɔ", Viseme.O), ("ɔ̃", Viseme.O),
        ("ø", Viseme.O), ("œ̃", Viseme.O), ("y", Viseme.U), ("ɥ", Viseme.U), ("ɛ̃", Viseme.E),
        ("ʁ", Viseme.S), ("ʒ", Viseme.SH),
        # silence
        ("", Viseme.REST), (" ", Viseme.REST),
    ],
)  # fmt: skip
def test_it_maps_each_phoneme_to_the_mouth_shape_it_shows(phoneme, viseme):
    assert viseme_for(phoneme) is viseme


def test_a_diphthong_glides_from_its_first_vowel_to_its_last():
    assert [v for v, _ in viseme_parts("aɪ")] == [Viseme.A, Viseme.E]
    assert [v for v, _ in viseme_parts("ˈoʊ")] == [Viseme.O, Viseme.U]
    shares = [share for _, share in viseme_parts("aʊ")]
    assert shares[0] > shares[1] and sum(shares) == pytest.approx(1.0)


def test_a_diphthong_of_one_shape_stays_one_shape():
    assert viseme_parts("eɪ") == [(Viseme.E, 1.0)]


def test_an_unknown_symbol_gets_the_neutral_default():
    assert viseme_for("ʘ") is DEFAULT
    assert viseme_for("ˈ") is DEFAULT


def test_h_takes_the_shape_of_the_sound_after_it():
    track = viseme_track([P("h", 0.1, 0.3), P("uː", 0.3, 0.6)], 30, 24)
    assert track[5] is Viseme.U  # 0.17-0.2 s: inside the h


def test_the_track_has_one_shape_per_frame():
    phonemes = [P("h", 0.0, 0.1), P("ə", 0.1, 0.2), P("l", 0.2, 0.3), P("oʊ", 0.3, 0.6)]
    assert len(viseme_track(phonemes, 30, frame_count(0.6, 30))) == 18
    assert viseme_track(phonemes, 30, 0) == []


def test_the_mouth_is_closed_in_silence_and_at_both_ends():
    phonemes = [P("a", 0.0, 0.5), P("", 0.5, 1.0), P("a", 1.0, 1.5)]
    track = viseme_track(phonemes, 30, 45)
    assert track[0] is Viseme.REST and track[-1] is Viseme.REST
    assert set(track[17:29]) == {Viseme.REST}
    assert track[8] is Viseme.A and track[38] is Viseme.A


def _runs(track):
    runs, last = [], None
    for v in track:
        if v is last:
            runs[-1] += 1
        else:
            runs.append(1)
        last = v
    return runs


@pytest.mark.parametrize("seed", range(8))
def test_a_jittery_timing_gives_no_one_frame_flicker(seed):
    rng = random.Random(seed)
    phonemes, t = [], 0.0
    while t < 3.0:
        length = rng.uniform(0.005, 0.09)
        phonemes.append(P(rng.choice(["m", "a", "iː", "o", "s", "", "f", "uː", "l", "ʃ"]), t, t + length))
        t += length
    track = viseme_track(phonemes, 30, frame_count(t, 30))
    assert min(_runs(track)) >= 2
    assert track[0] is Viseme.REST and track[-1] is Viseme.REST


def test_a_short_lip_closure_is_still_shown():
    # A 25 ms /p/ between two long vowels: less than a frame, but the lips must visibly close.
    phonemes = [P("a", 0.0, 0.4), P("p", 0.4, 0.425), P("a", 0.425, 0.8)]
    track = viseme_track(phonemes, 30, 24)
    assert _runs(track) and track.count(Viseme.MBP) >= 2


def test_a_clip_of_a_single_frame_is_at_rest():
    assert viseme_track([P("a", 0.0, 0.03)], 30, 1) == [Viseme.REST]


def test_frame_count_covers_the_audio_within_one_frame():
    assert frame_count(2.0, 30) == 60
    assert frame_count(2.01, 30) == 61
    assert frame_count(0.0, 30) == 0
    for duration in (0.1, 1.2345, 7.77, 29.999):
        n = frame_count(duration, 30)
        assert duration <= n / 30 < duration + 1 / 30 + 1e-9
