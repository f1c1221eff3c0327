"""OpenAI's speech endpoint (or a compatible one) as a voice; mouth timings come from the audio.

Asks for raw PCM (24 kHz, 16-bit little-endian, mono), so no decoder is involved.
"""

from __future__ import annotations

import numpy as np

from builder.tts.base import Speech, TTSEngine, TTSError, VoiceSettings
from builder.tts.timings import phoneme_timings

SAMPLE_RATE = 24_000  # what the endpoint's "pcm" format is
PLACEHOLDER_KEY = "not-needed"


class OpenAITTSEngine(TTSEngine):
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
    ) -> None:
        import openai

        self._key = api_key
        self.model = model
        self.default_voice = default_voice
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
                response_format="pcm",
                speed=max(0.25, min(4.0, voice.speed)),
            )
            audio = response.read()
        except openai.APIStatusError as exc:
            raise TTSError(
                f"the speech endpoint refused (HTTP {exc.status_code}): {self._scrub(exc)}"
            ) from None
        except openai.APIError as exc:
            raise TTSError(f"the speech endpoint failed: {self._scrub(exc)}") from None
        if len(audio) < 2:
            raise TTSError("the speech endpoint returned no audio")
        pcm = np.frombuffer(audio[: len(audio) // 2 * 2], dtype="<i2").astype(np.int16)
        return Speech(pcm=pcm, sample_rate=SAMPLE_RATE, phonemes=phoneme_timings(pcm, SAMPLE_RATE))

    def _scrub(self, exc: Exception) -> str:
        text = str(getattr(exc, "message", None) or exc)
        return text.replace(self._key, "[key]") if self._key else text
