from __future__ import annotations

import pytest

from builder.llm import LLMError, LLMUnavailable, Prompt, make_engine
from builder.llm.offline import OfflineEngine
from builder.llm.openai_chat import OpenAIChatEngine


def test_offline_is_built_and_ignores_the_remote_models_settings():
    engine = make_engine("offline", base_url="", api_key="k", model="m", temperature=0.7, max_tokens=180)

    assert isinstance(engine, OfflineEngine) and engine.name == "offline"


def test_offline_accepts_a_personas_own_corpus():
    engine = make_engine("offline", corpus=[("Saying 1", "Waste not, want not.")])

    assert "Saying 1" in engine.answer(Prompt(system="", question="waste"))


def test_openai_is_built_from_its_settings():
    engine = make_engine(
        "openai", base_url="http://127.0.0.1:11434/v1", api_key="", model="llama3", timeout=5
    )

    assert isinstance(engine, OpenAIChatEngine) and engine.name == "openai"
    assert (engine.model, engine.timeout, engine.endpoint) == ("llama3", 5.0, "http://127.0.0.1:11434/v1")


def test_an_unknown_engine_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="offline, openai"):
        make_engine("gpt")


def test_a_passing_failure_is_still_an_llmerror():
    assert issubclass(LLMUnavailable, LLMError)
