"""What every answer engine is: a prompt in, the answer out as a stream of text deltas."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


class LLMError(Exception):
    """The engine could not answer; the message says why in words a moderator understands."""


@dataclass(frozen=True)
class Prompt:
    """Everything an engine needs. The viewer's question is data, never part of the instructions."""

    system: str
    question: str
    viewer: str = "a viewer"
    language: str = "en"
    # Roughly 20-40 s of speech at ~150 words a minute.
    max_words: int = 90
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Readiness:
    """What a readiness check found: `detail` for the moderator, `warning` when something is off
    but answers may still work (a model the endpoint does not list)."""

    detail: str
    warning: str = ""


class LLMEngine(ABC):
    name: str = ""

    def check(self, timeout: float = 5.0) -> Readiness:
        """Whether the engine can answer now, found without asking it anything (cheap enough for
        `manage.py doctor`). Raises LLMError (LLMUnavailable when a later try may work)."""
        return Readiness(f"{self.name}: runs in the worker, nothing to reach")

    @abstractmethod
    def stream(self, prompt: Prompt) -> Iterator[str]:
        """Yield the answer as it is produced, in pieces of any size (tokens, words, sentences)."""

    def answer(self, prompt: Prompt) -> str:
        return "".join(self.stream(prompt))
