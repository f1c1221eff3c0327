"""The one failure kind the base class does not name: a failure that may pass.

Kept out of `openai_chat` so a caller can catch it without importing the `openai` package.
"""

from __future__ import annotations

from builder.llm.base import LLMError


class LLMUnavailable(LLMError):
    """The endpoint failed in a way that may pass (unreachable, timed out, rate-limited, 5xx, a
    broken stream): worth building the whole answer again later. Plain `LLMError` is permanent."""
