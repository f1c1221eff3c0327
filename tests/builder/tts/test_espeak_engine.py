# ruff: noqa: RUF001 - IPA symbols are the subject here, not look-alike typos
"""espeak-ng, really synthesising: audio, phoneme timings that cover it, voices, speed, pitch."""

import itertools
import statistics
import threading
import time
import unicodedata
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from builder.tts.base import TTSError, VoiceSettings
from builder.tts.espeak import EspeakEngine, phoneme_timings

ENGINE = EspeakEngine()
ENGLISH = "The thing is, my friend, peace is right there with you."
FRENCH = "Bonjour les enfants, la paix soit avec vous, mon ami."


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(samples.astype(np.float64) ** 2))) if len(samples) else 0.0


def median_f0(speech) -> float:
    """Median fundamental frequency of the loud 40 ms frames, by autocorrelation."""
    signal, rate = speech.pcm.astype(np.float64), speech.sample_rate
    size = int(0.04 * rate)
    frames = [signal[i : i + size] for i in range(0, len(signal) - size, size)]
    loudest = max(rms(f) for f in frames)
    lo, hi = int(rate / 400), int(rate / 60)
    f0s = []
    for frame in frames:
        if rms(frame) < 0.3 * loudest:
            continue
        frame = frame - frame.mean()
        correlation = np.correlate(frame, frame, "full")[size - 1 :]
        f0s.append(rate / (lo + int(np.argmax(correlation[lo:hi]))))
    return statistics.median(f0s)


def assert_timings_cover(speech):
    timings = speech.phonemes
    assert timings[0].start == 0
    assert abs(timings[-1].end - speech.duration) <= 0.010, "the last ends at the audio's end"
    for before, after in itertools.pairwise(timings):
        assert before.end == after.start, "consecutive: no gap, no overlap"
        assert before.start < before.end, "monotonic, nothing empty"
        assert not (before.phoneme == after.phoneme == ""), "one pause is one silence"


def same_speech(a, b) -> bool:
    """espeak carries a little internal state between utterances (not its random seed), so the
    samples of a repeat differ slightly; the phonemes and their timing do not."""
    return (
        [t.phoneme for t in a.phonemes] == [t.phoneme for t in b.phonemes]
        and all(abs(x.start - y.start) < 0.02 for x, y in zip(a.phonemes, b.phonemes, strict=True))
        and abs(a.duration - b.duration) < 0.02
    )


@pytest.mark.parametrize(("language", "text"), [("en", ENGLISH), ("fr", FRENCH)])
def test_it_speaks_audible_22050_hz_mono_pcm_of_a_plausible_length(language, text):
    speech = ENGINE.synthesize(text, VoiceSettings(language=language))
    assert speech.sample_rate == ENGINE.sample_rate == 22050
    assert speech.pcm.dtype == np.int16 and speech.pcm.ndim == 1
    assert rms(speech.pcm) > 1000 and np.abs(speech.pcm).max() > 8000
    nominal = len(text.split()) * 60 / 175  # seconds at 175 words a minute
    assert 0.6 * nominal < speech.duration < 1.6 * nominal + 0.6


@pytest.mark.parametrize(("language", "text"), [("en", ENGLISH), ("fr", FRENCH)])
def test_its_timings_cover_the_audio_from_start_to_end(language, text):
    assert_timings_cover(ENGINE.synthesize(text, VoiceSettings(language=language)))


def is_ipa(symbol: str) -> bool:
    return all(
        c in "-" or (c.isalpha() and not c.isupper()) or unicodedata.category(c) in ("Lm", "Mn", "Sk")
        for c in symbol
    )


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [("en", ENGLISH, {"ð", "θ", "ɹ", "aɪ"}), ("fr", FRENCH, {"ʁ", "ɑ̃", "ɔ̃", "ʒ"})],
)
def test_its_phonemes_are_ipa_for_the_language(language, text, expected):
    phonemes = [t.phoneme for t in ENGINE.synthesize(text, VoiceSettings(language=language)).phonemes]
    assert all(is_ipa(p) for p in phonemes), phonemes
    assert expected <= {p.strip("ˈˌː") for p in phonemes}


def test_a_word_in_another_language_gives_no_language_switch_marks():
    speech = ENGINE.synthesize("Bonjour, hello there.", VoiceSettings(language="fr"))
    phonemes = [t.phoneme for t in speech.phonemes]
    assert "ð" in phonemes, "espeak switched to English for the English words"
    assert not any("(" in p for p in phonemes)
    assert_timings_cover(speech)


def test_pauses_are_silences_in_the_timings_and_in_the_audio():
    speech = ENGINE.synthesize("Peace. Go in peace.", VoiceSettings())
    timings, rate = speech.phonemes, speech.sample_rate
    assert timings[0].phoneme == "" and timings[-1].phoneme == ""
    pauses = [t for t in timings[1:-1] if t.phoneme == ""]
    assert pauses and pauses[0].end - pauses[0].start > 0.15, "the full stop is a pause"
    pause = speech.pcm[int(pauses[0].start * rate) + 200 : int(pauses[0].end * rate)]
    spoken = np.concatenate(
        [speech.pcm[int(t.start * rate) : int(t.end * rate)] for t in timings if t.phoneme]
    )
    assert rms(pause) < 0.05 * rms(spoken)


def test_a_faster_speed_gives_shorter_audio():
    slow = ENGINE.synthesize(ENGLISH, VoiceSettings(speed=0.75))
    fast = ENGINE.synthesize(ENGLISH, VoiceSettings(speed=1.5))
    assert fast.duration < 0.7 * slow.duration
    assert [t.phoneme for t in fast.phonemes if t.phoneme] == [t.phoneme for t in slow.phonemes if t.phoneme]


def test_a_higher_pitch_raises_the_fundamental_frequency():
    low = median_f0(ENGINE.synthesize(ENGLISH, VoiceSettings(pitch=0.6)))
    high = median_f0(ENGINE.synthesize(ENGLISH, VoiceSettings(pitch=1.6)))
    assert 60 < low < high / 1.2 and high < 400


def test_the_same_text_gives_the_same_speech():
    first = ENGINE.synthesize("Blessed are the meek.", VoiceSettings())
    ENGINE.synthesize("Heureux les doux.", VoiceSettings(language="fr", pitch=1.4, speed=1.3))
    assert same_speech(first, ENGINE.synthesize("Blessed are the meek.", VoiceSettings()))


def test_threads_speaking_at_once_do_not_mix_their_audio():
    jobs = [
        ("Love your neighbour.", VoiceSettings()),
        ("Ask, and it shall be given you.", VoiceSettings(speed=1.4)),
        ("Bonjour à tous.", VoiceSettings(language="fr", pitch=1.5)),
    ]
    expected = [ENGINE.synthesize(text, voice) for text, voice in jobs]
    start = threading.Barrier(8)

    def speak(i: int):
        if i < 8:  # the first eight all call at once
            start.wait()
        return ENGINE.synthesize(*jobs[i % 3])

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(speak, range(24)))
    for i, speech in enumerate(results):
        assert same_speech(speech, expected[i % 3]), f"job {i} differs"


def test_regional_voices_and_variants_are_chosen_by_name_or_language():
    british = ENGINE.synthesize("Go home.", VoiceSettings(language="en-GB"))
    american = ENGINE.synthesize("Go home.", VoiceSettings(language="en"))
    assert "əʊ" in "".join(t.phoneme for t in british.phonemes)
    assert "oʊ" in "".join(t.phoneme for t in american.phonemes)
    female = ENGINE.synthesize(ENGLISH, VoiceSettings(voice="en-us+f3"))
    male = ENGINE.synthesize(ENGLISH, VoiceSettings(voice="en-us+m3"))
    assert median_f0(female) > 1.3 * median_f0(male)
    assert {"en-us", "en-gb", "fr", "fr-fr"} <= set(ENGINE.voices())


@pytest.mark.parametrize("text", ["", "   \n", "\0"])
def test_empty_text_is_a_clear_error(text):
    with pytest.raises(TTSError, match="no text to speak"):
        ENGINE.synthesize(text, VoiceSettings())


@pytest.mark.parametrize(
    ("voice", "message"),
    [
        (VoiceSettings(voice="no-such-voice"), "no voice named 'no-such-voice'"),
        (VoiceSettings(language="xx"), "no voice for the language 'xx'"),
        (VoiceSettings(voice="en-us+nobody"), "no voice variant 'nobody'"),
    ],
)
def test_unknown_voices_are_clear_errors(voice, message):
    with pytest.raises(TTSError, match=message):
        ENGINE.synthesize("Hello.", voice)


def test_a_sentence_takes_milliseconds_once_loaded():
    ENGINE.synthesize("Warm up.", VoiceSettings())
    times = []
    for _ in range(5):
        # CPU time of this thread (espeak-ng synthesises on the calling thread): what a sentence
        # costs, not how long a busy machine took to schedule it.
        began = time.thread_time()
        ENGINE.synthesize("Peace be with you, my friend, and walk in the light.", VoiceSettings())
        times.append(time.thread_time() - began)
    assert statistics.median(times) < 0.05  # ~3 ms measured; the margin is for slow CI machines


def test_timings_from_events_sort_clip_and_prefer_the_phoneme_at_a_shared_sample():
    events = [(300, "b"), (100, "a"), (500, ""), (500, "c"), (600, ""), (700, ""), (5000, "d")]
    timings = phoneme_timings(events, 1000, 1000)
    assert [(t.phoneme, t.start, t.end) for t in timings] == [
        ("", 0.0, 0.1),
        ("a", 0.1, 0.3),
        ("b", 0.3, 0.5),
        ("c", 0.5, 0.6),
        ("", 0.6, 1.0),
    ]
