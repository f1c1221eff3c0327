from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.builder.llm.fake_openai import FakeChatServer


@pytest.fixture
def chat_server() -> Iterator[FakeChatServer]:
    server = FakeChatServer().start()
    yield server
    server.stop()
