"""The persona playground: a test question answered and voiced by the persona's real engines,
with nothing aired and no Question or Clip created.

Two steps, so the moderator reads the answer while the voice is being made: `write_answer` asks
the persona's LLM; `voice_answer` speaks a written answer exactly as a clip build would (the same
chunker, output filter, cleaning for speech and voice) into a WAV under DATA_DIR/playground/.
Only the newest KEEP_FILES auditions are kept.
"""

from __future__ import annotations

import logging
import re
import uuid
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings

from builder.answer import AnswerFiltered, banned_words, persona_prompt, speak_answer
from builder.engines import llm_for, tts_for, with_defaults
from builder.llm import LLMError, LLMUnavailable
from builder.llm.base import LLMEngine, Prompt
from builder.llm.filter import check_answer
from builder.tts import TTSError

log = logging.getLogger(__name__)

KEEP_FILES = 20
MAX_ANSWER_CHARS = 4000
AUDIO_NAME = re.compile(r"^[0-9a-f]{32}\.wav$")
PLAYGROUND_VIEWER = "playground"


class PlaygroundError(Exception):
    """The persona could not answer or speak; the message is for the moderator."""


@dataclass(frozen=True)
class Answer:
    text: str
    filtered: str = ""  # the output filter's reason, when the answer would not be aired


@dataclass(frozen=True)
class Audition:
    name: str  # file name under playground_dir()
    duration: float
    sentences: int


def playground_dir() -> Path:
    return Path(settings.DATA_DIR) / "playground"


def _filter_reason(persona: dict[str, Any], text: str) -> str:
    verdict = check_answer(text, banned_words(persona))
    return "" if verdict.allowed else verdict.reason


def write_answer(persona: dict[str, Any], question: str) -> Answer:
    """The persona's LLM answers `question` (persona as a version snapshot)."""
    data = with_defaults(persona)
    try:
        text = llm_for(data).answer(persona_prompt(data, question, PLAYGROUND_VIEWER)).strip()
    except LLMUnavailable as exc:
        raise PlaygroundError(f"The answer engine is unavailable right now: {exc}") from None
    except LLMError as exc:
        raise PlaygroundError(f"The answer engine refused: {exc}") from None
    except (ValueError, TypeError) as exc:  # a setting the engine cannot be built with
        raise PlaygroundError(f"The answer engine is misconfigured: {exc}") from None
    if not text:
        raise PlaygroundError("The answer engine returned an empty answer.")
    return Answer(text=text, filtered=_filter_reason(data, text))


class _Written(LLMEngine):
    """An answer already written, replayed so it is voiced by the same path a clip takes."""

    name = "written"

    def __init__(self, text: str) -> None:
        self.text = text

    def stream(self, prompt: Prompt) -> Iterator[str]:
        yield self.text


def voice_answer(persona: dict[str, Any], text: str) -> Audition:
    """Speak `text` in the persona's voice into a new WAV file; returns its name and duration."""
    data = with_defaults(persona)
    text = text.strip()[:MAX_ANSWER_CHARS]
    if not text:
        raise PlaygroundError("There is no answer to voice.")
    try:
        tts = tts_for(data)
        sentences = list(speak_answer(data, "", PLAYGROUND_VIEWER, llm=_Written(text), tts=tts))
    except AnswerFiltered as exc:
        raise PlaygroundError(f"The output filter stops this answer ({exc.reason}).") from None
    except TTSError as exc:
        raise PlaygroundError(f"The voice engine failed: {exc}") from None
    except (ValueError, TypeError, ImportError) as exc:
        raise PlaygroundError(f"The voice engine is misconfigured: {exc}") from None
    if not sentences:
        raise PlaygroundError("Nothing in the answer is speakable.")
    rates = {s.speech.sample_rate for s in sentences}
    if len(rates) != 1:
        raise PlaygroundError(f"The voice engine changed sample rate mid-answer ({sorted(rates)}).")
    pcm = np.concatenate([s.pcm for s in sentences]).astype("<i2")
    name = f"{uuid.uuid4().hex}.wav"
    _write_wav(playground_dir() / name, pcm, rates.pop())
    prune()
    return Audition(name=name, duration=len(pcm) / sentences[0].speech.sample_rate, sentences=len(sentences))


def _write_wav(path: Path, pcm: np.ndarray, sample_rate: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    with wave.open(str(partial), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(sample_rate)
        out.writeframes(pcm.tobytes())
    partial.replace(path)  # a page asking early never gets half a file


def prune(keep: int = KEEP_FILES) -> None:
    """Delete all but the newest `keep` auditions."""
    files = sorted(playground_dir().glob("*.wav"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
    for old in files[keep:]:
        old.unlink(missing_ok=True)


def audio_path(name: str) -> Path | None:
    """The audition file called `name`, or None (names are checked: no path ever leaves the folder)."""
    if not AUDIO_NAME.match(name):
        return None
    path = playground_dir() / name
    return path if path.is_file() else None
