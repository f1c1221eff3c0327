"""The OpenAI voice against a local server speaking the real /v1/audio/speech endpoint."""

from collections.abc import Iterator

import numpy as np
import pytest

from builder.tts.base import TTSError, VoiceSettings
from builder.tts.openai_tts import SAMPLE_RATE, OpenAITTSEngine
from tests.builder.llm.fake_openai import FakeChatServer, error

KEY = "sk-test-SECRET0123456789"


def pcm_reply(seconds: float):
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    audio = np.concatenate([np.zeros(SAMPLE_RATE // 5), 12000 * np.sin(2 * np.pi * 220 * t)]).astype("<i2")

    def reply(handler) -> None:
        body = audio.tobytes()
        handler.send_response(200)
        handler.send_header("Content-Type", "audio/pcm")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return reply


@pytest.fixture
def server() -> Iterator[FakeChatServer]:
    running = FakeChatServer().start()
    yield running
    running.stop()


def test_it_sends_voice_speed_and_text_and_decodes_the_pcm(server):
    server.queue(pcm_reply(1.0))
    engine = OpenAITTSEngine(base_url=server.url, api_key=KEY, model="tts-1")
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
    assert speech.sample_rate == 24000 and speech.duration == pytest.approx(1.2, abs=0.01)
    assert speech.phonemes[0].phoneme == "" and speech.phonemes[-1].end == pytest.approx(speech.duration)
    assert any(t.phoneme for t in speech.phonemes), "the tone shows as speech"


def test_a_refused_key_is_a_clear_error_without_the_key(server):
    server.queue(error(401, f"Incorrect API key provided: {KEY}", code="invalid_api_key"))
    engine = OpenAITTSEngine(base_url=server.url, api_key=KEY, max_retries=0)
    with pytest.raises(TTSError, match="HTTP 401") as caught:
        engine.synthesize("Hello.", VoiceSettings())
    assert KEY not in str(caught.value)


def test_empty_text_never_reaches_the_endpoint(server):
    engine = OpenAITTSEngine(base_url=server.url, api_key=KEY)
    with pytest.raises(TTSError, match="no text"):
        engine.synthesize(" ", VoiceSettings())
    assert server.requests == []
