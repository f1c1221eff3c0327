"""espeak-ng, really synthesising: audio, phoneme timings that cover it, voices, speed, pitch."""

import itertools
import threading

import numpy as np
import pytest

from builder.tts.base import TTSError, VoiceSettings
from builder.tts.espeak import EspeakEngine

ENGINE = EspeakEngine()


def assert_timings_cover(speech):
    timings = speech.phonemes
    assert timings[0].start == 0
    assert timings[-1].end == pytest.approx(speech.duration, abs=1e-6)
    for before, after in itertools.pairwise(timings):
        assert before.end == pytest.approx(after.start) and before.end > before.start


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        ("en", "Peace be with you, my friend.", {"p", "f", "ɛ"}),
        ("fr", "La paix soit avec toi.", {"p", "s", "v"}),
    ],
)
def test_it_speaks_english_and_french_with_ipa_timings(language, text, expected):
    speech = ENGINE.synthesize(text, VoiceSettings(language=language))
    assert speech.sample_rate == 22050 and speech.pcm.dtype == np.int16
    assert 0.8 < speech.duration < 5 and np.abs(speech.pcm).max() > 1000
    assert_timings_cover(speech)
    symbols = {t.phoneme.strip("ˈˌː") for t in speech.phonemes}
    assert expected <= symbols
    assert any(t.phoneme == "" for t in speech.phonemes), "pauses are marked as silence"


def test_speed_changes_the_length():
    text = "The kingdom of heaven is like a mustard seed."
    slow = ENGINE.synthesize(text, VoiceSettings(speed=0.75))
    fast = ENGINE.synthesize(text, VoiceSettings(speed=1.5))
    assert fast.duration < 0.75 * slow.duration


def test_pitch_raises_the_voice():
    def zero_crossings(speech) -> float:
        signal = speech.pcm.astype(np.float32)
        voiced = signal[np.abs(signal) > 500]
        return float(np.mean(np.abs(np.diff(np.sign(voiced))) > 0))

    text = "Ah, ah, ah."
    assert zero_crossings(ENGINE.synthesize(text, VoiceSettings(pitch=1.8))) > zero_crossings(
        ENGINE.synthesize(text, VoiceSettings(pitch=0.4))
    )


def same_speech(a, b) -> bool:
    """espeak carries a little state between utterances: the final pause may differ by ~10 ms."""
    return [t.phoneme for t in a.phonemes] == [t.phoneme for t in b.phonemes] and abs(
        a.duration - b.duration
    ) < 0.02


def test_the_same_text_gives_the_same_speech():
    a = ENGINE.synthesize("Blessed are the meek.", VoiceSettings())
    b = ENGINE.synthesize("Blessed are the meek.", VoiceSettings())
    assert same_speech(a, b)


def test_threads_do_not_mix_their_audio():
    texts = ["Love your neighbour.", "Ask, and it shall be given you.", "Bonjour à tous."] * 3
    expected = {
        t: ENGINE.synthesize(t, VoiceSettings(language="fr" if "Bonjour" in t else "en")) for t in texts
    }
    results: dict[int, object] = {}

    def speak(i: int, text: str) -> None:
        results[i] = ENGINE.synthesize(text, VoiceSettings(language="fr" if "Bonjour" in text else "en"))

    threads = [threading.Thread(target=speak, args=(i, t)) for i, t in enumerate(texts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for i, text in enumerate(texts):
        assert same_speech(results[i], expected[text])


def test_empty_text_and_unknown_voices_are_clear_errors():
    with pytest.raises(TTSError, match="no text"):
        ENGINE.synthesize("  ", VoiceSettings())
    with pytest.raises(TTSError, match="no voice named 'no-such-voice'"):
        ENGINE.synthesize("Hello.", VoiceSettings(voice="no-such-voice"))
