"""Answer engines: one base class (`base.LLMEngine`), one module per backend.

`make_engine("offline")` quotes the persona's corpus with no model or network;
`make_engine("openai", base_url=..., api_key=..., model=...)` talks to any OpenAI-compatible
endpoint. Backends are imported on demand, so the offline engine never loads the `openai` package.
"""

from __future__ import annotations

from typing import Any

from builder.llm.base import LLMEngine, LLMError, Prompt
from builder.llm.errors import LLMUnavailable

ENGINES = ("offline", "openai")

# Settings and persona options meant for a remote model; the offline engine has no use for them.
_REMOTE_ONLY = ("base_url", "api_key", "model", "temperature", "max_tokens", "timeout", "max_retries")

__all__ = ["ENGINES", "LLMEngine", "LLMError", "LLMUnavailable", "Prompt", "make_engine"]


def make_engine(engine: str, **options: Any) -> LLMEngine:
    """The engine named by LLM_ENGINE (or a persona), built from its options.

    Options a backend does not know raise TypeError, except that "offline" ignores the remote
    model's options, so the same settings can be passed whichever engine is chosen.
    """
    if engine == "offline":
        from builder.llm.offline import OfflineEngine

        return OfflineEngine(**{k: v for k, v in options.items() if k not in _REMOTE_ONLY})
    if engine == "openai":
        from builder.llm.openai_chat import OpenAIChatEngine

        return OpenAIChatEngine(**options)
    raise ValueError(f"unknown answer engine {engine!r}; choose one of {', '.join(ENGINES)}")
