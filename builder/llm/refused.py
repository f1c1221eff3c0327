"""An answer engine that may not be asked: every call fails with the reason, before any request.

Built when the key rule (the studio's `endpoint_keys`) finds no key for a persona's address, so
the playground, the System page's test and a build all say the same why, and nothing is sent.
"""

from __future__ import annotations

from collections.abc import Iterator

from builder.llm.base import LLMEngine, LLMError, Prompt, Readiness


class RefusedEngine(LLMEngine):
    name = "openai"

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def check(self, timeout: float = 5.0) -> Readiness:
        raise LLMError(self.reason)

    def stream(self, prompt: Prompt) -> Iterator[str]:
        raise LLMError(self.reason)
