from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from tests.builder.llm.fake_openai import FakeChatServer
from tests.faults.studio import Studio


@pytest.fixture
def llm() -> Iterator[FakeChatServer]:
    server = FakeChatServer().start()
    server.gates: list[threading.Event] = []
    yield server
    for gate in server.gates:  # a held answer lets go, so its thread ends
        gate.set()
    server.stop()


@pytest.fixture
def answering_persona(persona, llm):
    """The active persona answers through the local OpenAI-compatible endpoint, which the studio's
    processes are given as LLM_BASE_URL (their LLM_API_KEY goes nowhere else)."""
    persona.llm = {"engine": "openai", "base_url": llm.url, "model": "test-model", "max_tokens": 180}
    persona.save()
    persona.save_version(note="fault tests answer through a local endpoint")
    return persona


@pytest.fixture
def studio(redis_url, tmp_path, answering_persona, llm) -> Iterator[Studio]:
    studio = Studio(
        redis_url, tmp_path / "media", tmp_path / "logs",
        LLM_API_KEY="test-key", LLM_BASE_URL=llm.url, LLM_TIMEOUT="120",
    )  # fmt: skip
    yield studio
    studio.stop_all()
