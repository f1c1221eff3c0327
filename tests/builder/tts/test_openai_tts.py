"""The OpenAI voice against a local server speaking the real /v1/audio/speech endpoint."""

import itertools
import socket
from collections.abc import Iterator

import numpy as np
import pytest

from builder.tts.base import TTSError, VoiceSettings
from builder.tts.openai_tts import SAMPLE_RATE, OpenAITTSEngine
from tests.builder.llm.fake_openai import FakeChatServer, error
from tests.builder.tts import speech_replies as fake

KEY = "sk-test-SECRET0123456789"


@pytest.fixture
def server() -> Iterator[FakeChatServer]:
    running = FakeChatServer().start()
    yield running
    running.stop()


def engine_for(server: FakeChatServer, **options) -> OpenAITTSEngine:
    return OpenAITTSEngine(base_url=server.url, api_key=KEY, max_retries=0, **options)


def assert_covers(speech):
    timings = speech.phonemes
    assert timings[0].start == 0 and timings[-1].end == pytest.approx(speech.duration)
    assert all(a.end == pytest.approx(b.start) for a, b in itertools.pairwise(timings))


def test_it_posts_the_model_voice_speed_and_text_and_decodes_the_pcm(server):
    server.queue(fake.pcm(fake.tone(1.0)))
    engine = engine_for(server, model="tts-1")
    speech = engine.synthesize("Peace be with you.", VoiceSettings(voice="onyx", speed=1.25))
    request = server.requests[0]
    assert request["path"] == "/v1/audio/speech"
    assert request["body"] == {
        "model": "tts-1",
        "voice": "onyx",
        "input": "Peace be with you.",
        "response_format": "pcm",
        "speed": 1.25,
    }
    assert request["headers"]["authorization"] == f"Bearer {KEY}"
    assert speech.sample_rate == SAMPLE_RATE == 24000 and speech.pcm.dtype == np.int16
    assert speech.duration == pytest.approx(1.2, abs=0.001)
    assert np.array_equal(speech.pcm, fake.tone(1.0))


def test_its_timings_come_from_the_audio_silence_then_voice(server):
    server.queue(fake.pcm(fake.tone(1.0, lead=0.3)))
    speech = engine_for(server).synthesize("Hello.", VoiceSettings())
    assert_covers(speech)
    first = speech.phonemes[0]
    assert first.phoneme == "" and first.end == pytest.approx(0.3, abs=0.02)
    assert all(t.phoneme for t in speech.phonemes[1:]), "the tone is voice from start to end"


def test_without_a_voice_it_uses_the_default_and_clamps_the_speed(server):
    server.queue(fake.pcm(fake.tone(0.1)), fake.pcm(fake.tone(0.1)))
    engine = engine_for(server, default_voice="nova")
    engine.synthesize("Hello.", VoiceSettings(speed=9.0))
    engine.synthesize("Hello.", VoiceSettings(speed=0.1))
    assert [r["body"]["voice"] for r in server.requests] == ["nova", "nova"]
    assert [r["body"]["speed"] for r in server.requests] == [4.0, 0.25]


def test_it_can_ask_for_wav_and_mixes_stereo_down_to_mono(server):
    left = fake.tone(0.5, rate=16000, lead=0.0)
    stereo = np.stack([left, np.zeros_like(left)], axis=1)
    server.queue(fake.wav(stereo, rate=16000, channels=2))
    speech = engine_for(server, response_format="wav").synthesize("Hello.", VoiceSettings())
    assert server.requests[0]["body"]["response_format"] == "wav"
    assert speech.sample_rate == 16000 and speech.duration == pytest.approx(0.5, abs=0.001)
    assert speech.pcm.ndim == 1
    assert np.abs(speech.pcm.astype(int) - left // 2).max() <= 1  # the mean of both channels


def test_a_wav_reply_to_a_pcm_request_is_still_read_as_wav(server):
    audio = fake.tone(0.4, rate=22050, lead=0.0)
    server.queue(fake.wav(audio, rate=22050))
    speech = engine_for(server).synthesize("Hello.", VoiceSettings())
    assert speech.sample_rate == 22050 and np.array_equal(speech.pcm, audio)


def test_a_refused_key_is_a_clear_error_without_the_key(server):
    server.queue(error(401, f"Incorrect API key provided: {KEY}.", code="invalid_api_key"))
    with pytest.raises(TTSError, match="HTTP 401") as caught:
        engine_for(server).synthesize("Hello.", VoiceSettings())
    assert "Incorrect API key provided" in str(caught.value)
    assert KEY not in str(caught.value) and caught.value.__cause__ is None
    assert caught.value.__suppress_context__, "the chained exception (with the request) is not shown"


def test_a_bad_request_says_what_the_endpoint_said(server):
    server.queue(error(400, "Invalid voice 'nobody'.", code="invalid_value"))
    with pytest.raises(TTSError, match=r"HTTP 400.*Invalid voice 'nobody'"):
        engine_for(server).synthesize("Hello.", VoiceSettings(voice="nobody"))


def test_a_json_document_instead_of_audio_is_an_error_not_noise(server):
    server.queue(fake.json_body({"status": "ok"}))
    with pytest.raises(TTSError, match="returned application/json, not audio"):
        engine_for(server).synthesize("Hello.", VoiceSettings())


def test_an_empty_reply_is_an_error(server):
    server.queue(fake.pcm(np.zeros(0, np.int16)))
    with pytest.raises(TTSError, match="no audio"):
        engine_for(server).synthesize("Hello.", VoiceSettings())


def test_a_slow_endpoint_times_out_with_a_clear_error(server):
    server.queue(fake.slow(2.0, fake.pcm(fake.tone(0.1))))
    with pytest.raises(TTSError, match=r"did not answer within 0.5 s"):
        engine_for(server, timeout=0.5).synthesize("Hello.", VoiceSettings())


def test_an_unreachable_endpoint_is_a_clear_error_without_the_key():
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    engine = OpenAITTSEngine(base_url=f"http://127.0.0.1:{port}/v1", api_key=KEY, max_retries=0)
    with pytest.raises(TTSError, match=f"could not reach the speech endpoint at http://127.0.0.1:{port}"):
        engine.synthesize("Hello.", VoiceSettings())


def test_empty_text_never_reaches_the_endpoint(server):
    with pytest.raises(TTSError, match="no text"):
        engine_for(server).synthesize(" \n", VoiceSettings())
    assert server.requests == []


def test_an_unknown_response_format_is_refused_at_construction():
    with pytest.raises(ValueError, match="response_format"):
        OpenAITTSEngine(response_format="mp3")
