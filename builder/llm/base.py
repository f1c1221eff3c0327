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


class LLMEngine(ABC):
    name: str = ""

    @abstractmethod
    def stream(self, prompt: Prompt) -> Iterator[str]:
        """Yield the answer as it is produced, in pieces of any size (tokens, words, sentences)."""

    def answer(self, prompt: Prompt) -> str:
        return "".join(self.stream(prompt))
