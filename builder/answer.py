"""Persona + question → spoken sentences, each ready as soon as it can be.

The answer is streamed from the LLM, cut into speakable chunks (the first one as early as
possible), checked by the output filter, cleaned for speech and voiced. The clip builder consumes
the sentences one by one, so video of sentence 1 can be made while sentence 2 is still being
written. Plain Python: the caller passes engines and the persona as data.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from builder.llm.base import LLMEngine, Prompt
from builder.llm.filter import check_answer
from builder.text.chunker import speakable_chunks
from builder.text.clean import clean_for_speech
from builder.tts.base import PhonemeTiming, Speech, TTSEngine, VoiceSettings


class AnswerFiltered(Exception):
    """The answer broke the output filter; nothing more is spoken. The reason says which rule."""

    def __init__(self, reason: str, text: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.text = text


@dataclass
class SpokenSentence:
    index: int
    text: str  # as written by the LLM (for subtitles)
    spoken: str  # as given to the voice
    speech: Speech
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def pcm(self) -> Any:
        return self.speech.pcm

    @property
    def phonemes(self) -> list[PhonemeTiming]:
        return self.speech.phonemes


def persona_prompt(persona: dict[str, Any], question: str, viewer: str) -> Prompt:
    llm = persona.get("llm") or {}
    return Prompt(
        system=persona.get("system_prompt", ""),
        question=question,
        viewer=viewer or "a viewer",
        language=persona.get("language", "en"),
        max_words=int(llm.get("max_words", 90)),
    )


def persona_voice(persona: dict[str, Any]) -> VoiceSettings:
    voice = persona.get("voice") or {}
    return VoiceSettings(
        voice=str(voice.get("voice", "")),
        language=persona.get("language", "en"),
        speed=float(voice.get("speed", 1.0)),
        pitch=float(voice.get("pitch", 1.0)),
        model_path=str(voice.get("model_path", "")),
    )


def banned_words(persona: dict[str, Any]) -> list[str]:
    return [line.strip() for line in persona.get("banned_words", "").splitlines() if line.strip()]


def speak_answer(
    persona: dict[str, Any],
    question: str,
    viewer: str,
    *,
    llm: LLMEngine,
    tts: TTSEngine,
) -> Iterator[SpokenSentence]:
    """Yield each sentence with its audio and phoneme timings as soon as it is voiced.

    Raises AnswerFiltered when a sentence breaks the output filter (the sentences before it have
    been yielded already: the builder must not air a clip whose answer was filtered).
    """
    prompt = persona_prompt(persona, question, viewer)
    voice = persona_voice(persona)
    banned = banned_words(persona)
    language = prompt.language
    started = time.perf_counter()
    written = ""
    index = 0
    for chunk in speakable_chunks(llm.stream(prompt)):
        text_ready = time.perf_counter()
        written = f"{written} {chunk}".strip()
        verdict = check_answer(written, banned)
        if not verdict.allowed:
            raise AnswerFiltered(verdict.reason, written)
        spoken = clean_for_speech(chunk, language)
        if not spoken:
            continue
        speech = tts.synthesize(spoken, voice)
        voiced = time.perf_counter()
        yield SpokenSentence(
            index=index,
            text=chunk,
            spoken=spoken,
            speech=speech,
            timings={
                "text_at": text_ready - started,
                "tts": voiced - text_ready,
                "audio_at": voiced - started,
            },
        )
