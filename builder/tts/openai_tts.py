"""OpenAI's speech endpoint (or a compatible one) as a voice; mouth timings come from the audio.

Asks for raw PCM by default (24 kHz, 16-bit little-endian, mono: no decoder involved) or WAV.
A reply that is a WAV file is read as one whatever was asked, since some compatible servers
ignore "pcm". The endpoint gives no phoneme timings, so `timings.py` derives them from the audio.
"""

from __future__ import annotations

import io
import wave

import numpy as np

from builder.tts.base import Speech, TTSEngine, TTSError, VoiceSettings
from builder.tts.timings import phoneme_timings

SAMPLE_RATE = 24_000  # what the endpoint's "pcm" format is
PLACEHOLDER_KEY = "not-needed"  # local servers want no key, but the client insists on one
FORMATS = ("pcm", "wav")
SPEED_LIMITS = (0.25, 4.0)  # what the endpoint accepts


class OpenAITTSEngine(TTSEngine):
    """`OpenAITTSEngine(base_url=None, api_key="sk-…", model="gpt-4o-mini-tts", timeout=30.0)`.

    `VoiceSettings.voice` is the endpoint's voice name ("alloy", "onyx"…; "" = `default_voice`),
    `speed` is passed on; `pitch` has no equivalent on this endpoint and is ignored.
    """

    name = "openai"

    def __init__(
        self,
        *,
        base_url: str | None = None,
        api_key: str = "",
        model: str = "gpt-4o-mini-tts",
        default_voice: str = "alloy",
        timeout: float = 30.0,
        max_retries: int = 2,
        response_format: str = "pcm",
        pcm_sample_rate: int = SAMPLE_RATE,
    ) -> None:
        import openai

        if response_format not in FORMATS:
            raise ValueError(f"response_format must be one of {', '.join(FORMATS)}, not {response_format!r}")
        self._key = api_key
        self.model = model
        self.default_voice = default_voice
        self.timeout = timeout
        self.response_format = response_format
        self.pcm_sample_rate = pcm_sample_rate
        self.client = openai.OpenAI(
            base_url=base_url, api_key=api_key or PLACEHOLDER_KEY, timeout=timeout, max_retries=max_retries
        )

    def synthesize(self, text: str, voice: VoiceSettings) -> Speech:
        import openai

        if not text.strip():
            raise TTSError("there is no text to speak")
        try:
            response = self.client.audio.speech.create(
                model=self.model,
                voice=voice.voice or self.default_voice,
                input=text,
                response_format=self.response_format,
                speed=max(SPEED_LIMITS[0], min(SPEED_LIMITS[1], voice.speed)),
            )
            audio = response.read()
            content_type = response.response.headers.get("content-type", "").lower()
        # `from None` everywhere: the chained exception carries the request, headers and key included.
        except openai.APIStatusError as exc:
            raise TTSError(
                f"the speech endpoint answered HTTP {exc.status_code}: {self._scrub(exc)}"
            ) from None
        except openai.APITimeoutError:
            raise TTSError(f"the speech endpoint did not answer within {self.timeout:g} s") from None
        except openai.APIConnectionError:
            raise TTSError(f"could not reach the speech endpoint at {self.client.base_url}") from None
        except openai.OpenAIError as exc:
            raise TTSError(f"the speech endpoint failed: {self._scrub(exc)}") from None
        pcm, sample_rate = self._decode(audio, content_type)
        if not len(pcm):
            raise TTSError("the speech endpoint returned no audio")
        return Speech(pcm=pcm, sample_rate=sample_rate, phonemes=phoneme_timings(pcm, sample_rate))

    def _decode(self, audio: bytes, content_type: str) -> tuple[np.ndarray, int]:
        if audio[:4] == b"RIFF" and audio[8:12] == b"WAVE":
            return read_wav(audio)
        if content_type.startswith(("application/json", "text/")):
            # A 200 with an error document instead of audio: decoding it as PCM would be noise.
            raise TTSError(f"the speech endpoint returned {content_type.split(';')[0]}, not audio")
        if self.response_format == "wav":
            raise TTSError("the speech endpoint was asked for WAV but returned something else")
        return np.frombuffer(audio[: len(audio) // 2 * 2], dtype="<i2").astype(np.int16), self.pcm_sample_rate

    def _scrub(self, exc: Exception) -> str:
        """The endpoint's own message (from its error document when there is one), without the key."""
        body = getattr(exc, "body", None)
        detail = body.get("message") if isinstance(body, dict) else None
        text = str(detail or getattr(exc, "message", None) or exc)
        return text.replace(self._key, "[key]") if self._key else text


def read_wav(data: bytes) -> tuple[np.ndarray, int]:
    """int16 mono samples and the sample rate of an integer-PCM WAV file (channels averaged)."""
    try:
        with wave.open(io.BytesIO(data)) as wav:
            width, channels, rate = wav.getsampwidth(), wav.getnchannels(), wav.getframerate()
            frames = wav.readframes(wav.getnframes())
    except (wave.Error, EOFError) as exc:
        raise TTSError(f"the speech endpoint returned an unreadable WAV file: {exc}") from None
    if width == 1:  # 8-bit WAV is unsigned
        samples = (np.frombuffer(frames, np.uint8).astype(np.int32) - 128) << 8
    elif width in (2, 4):  # keep the top 16 bits
        samples = np.frombuffer(frames, f"<i{width}").astype(np.int64) >> (8 * width - 16)
    else:
        raise TTSError(f"the speech endpoint returned {8 * width}-bit WAV, which is not supported")
    usable = len(samples) // channels * channels
    mono = samples[:usable].reshape(-1, channels).mean(axis=1)
    return np.clip(np.round(mono), -32768, 32767).astype(np.int16), rate
