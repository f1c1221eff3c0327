from __future__ import annotations

import json
import socket
import time
import traceback

import pytest

from builder.llm.base import LLMError, Prompt
from builder.llm.errors import LLMUnavailable
from builder.llm.openai_chat import OpenAIChatEngine
from builder.llm.prompting import CLOSE_MARK, OPEN_MARK
from tests.builder.llm import fake_openai as fake

KEY = "sk-test-SECRET-0123456789abcdef"
PROMPT = Prompt(system="You are a kind shepherd.", question="Why do sheep wander?", viewer="ann")


def engine_for(server: fake.FakeChatServer, **options: object) -> OpenAIChatEngine:
    settings = {
        "base_url": server.url,
        "api_key": KEY,
        "model": "test-model",
        "timeout": 5.0,
        "max_retries": 2,
    }
    settings.update(options)
    return OpenAIChatEngine(**settings)  # type: ignore[arg-type]


def failure(engine: OpenAIChatEngine, prompt: Prompt = PROMPT) -> tuple[list[str], LLMError]:
    """The pieces that arrived before the engine raised, and what it raised."""
    pieces: list[str] = []
    with pytest.raises(LLMError) as caught:
        for piece in engine.stream(prompt):
            pieces.append(piece)
    return pieces, caught.value


def test_it_streams_the_deltas_in_order(chat_server):
    chat_server.queue(fake.stream(["Sheep", " wander", " because", " they", " are", " sheep."]))

    assert list(engine_for(chat_server).stream(PROMPT)) == [
        "Sheep",
        " wander",
        " because",
        " they",
        " are",
        " sheep.",
    ]


def test_answer_joins_the_stream(chat_server):
    assert engine_for(chat_server).answer(PROMPT) == "".join(fake.DEFAULT_ANSWER)


def test_the_request_carries_the_system_prompt_and_the_question_as_data(chat_server):
    engine_for(chat_server, temperature=0.3, max_tokens=123).answer(PROMPT)

    request = chat_server.requests[0]
    body = request["body"]
    assert request["path"] == "/v1/chat/completions"
    assert request["headers"]["authorization"] == f"Bearer {KEY}"
    assert (body["model"], body["stream"], body["temperature"], body["max_tokens"]) == (
        "test-model",
        True,
        0.3,
        123,
    )
    system, user = body["messages"]
    assert system["role"] == "system" and system["content"].startswith("You are a kind shepherd.")
    assert PROMPT.question not in system["content"]
    assert user["role"] == "user"
    data = user["content"].split(OPEN_MARK)[1].split(CLOSE_MARK)[0]
    assert json.loads(data) == {"viewer": "ann", "question": "Why do sheep wander?"}


def test_a_local_server_without_a_key_gets_a_placeholder(chat_server):
    engine_for(chat_server, api_key="").answer(PROMPT)

    assert chat_server.requests[0]["headers"]["authorization"] == "Bearer not-needed"


def test_a_server_error_is_retried_and_the_answer_still_arrives(chat_server):
    chat_server.queue(fake.error(500, "overloaded", headers={"retry-after-ms": "10"}), fake.stream(["Fine."]))

    assert engine_for(chat_server).answer(PROMPT) == "Fine."
    assert len(chat_server.requests) == 2


def test_rate_limiting_that_outlasts_the_retries_is_reported_as_unavailable(chat_server):
    limited = fake.error(429, "slow down", headers={"retry-after-ms": "10"})
    chat_server.queue(limited, limited, limited)

    _, error = failure(engine_for(chat_server, max_retries=1))

    assert isinstance(error, LLMUnavailable)
    assert "HTTP 429" in str(error)
    assert len(chat_server.requests) == 2


def test_a_refused_key_raises_llmerror_without_leaking_the_key(chat_server):
    # Some servers echo the key they were given; the engine must not pass it on.
    chat_server.queue(fake.error(401, f"Incorrect API key provided: {KEY}", code="invalid_api_key"))

    _, error = failure(engine_for(chat_server))

    assert not isinstance(error, LLMUnavailable)
    assert "refused the API key" in str(error)
    printed = "".join(traceback.format_exception(error))
    assert KEY not in printed and "SECRET" not in printed
    assert len(chat_server.requests) == 1  # a refused key is not retried


def test_an_unknown_model_raises_llmerror_naming_the_model(chat_server):
    chat_server.queue(fake.error(404, "model 'nope' not found", code="model_not_found"))

    _, error = failure(engine_for(chat_server, model="nope"))

    assert not isinstance(error, LLMUnavailable)
    assert "'nope'" in str(error) and "HTTP 404" in str(error)


def test_a_rejected_request_raises_llmerror_with_the_servers_reason_scrubbed(chat_server):
    chat_server.queue(fake.error(400, f"max_tokens is too large (key {KEY})"))

    _, error = failure(engine_for(chat_server))

    assert not isinstance(error, LLMUnavailable)
    assert "HTTP 400" in str(error) and "max_tokens is too large" in str(error)
    assert KEY not in str(error)


def test_an_exhausted_quota_is_permanent_not_retried(chat_server):
    chat_server.queue(fake.error(429, "You exceeded your current quota", code="insufficient_quota"))

    _, error = failure(engine_for(chat_server, max_retries=0))

    assert not isinstance(error, LLMUnavailable)
    assert "quota" in str(error)


def test_a_slow_first_token_beyond_the_timeout_raises(chat_server):
    chat_server.queue(fake.stream(["Too", " late."], first_delay=3.0))
    started = time.perf_counter()

    pieces, error = failure(engine_for(chat_server, timeout=0.5, max_retries=0))

    assert pieces == []
    assert isinstance(error, LLMUnavailable)
    assert "0.5 s" in str(error)
    assert time.perf_counter() - started < 2.5


def test_a_stream_of_empty_chunks_past_the_timeout_raises(chat_server):
    chat_server.queue(fake.empty_chunks(seconds=3.0))
    started = time.perf_counter()

    pieces, error = failure(engine_for(chat_server, timeout=0.5, max_retries=0))

    assert pieces == []
    assert isinstance(error, LLMUnavailable) and "no words" in str(error)
    assert time.perf_counter() - started < 2.5


def test_a_stream_cut_mid_answer_raises_after_the_words_so_far(chat_server):
    chat_server.queue(fake.cut(["Blessed", " are"]))

    pieces, error = failure(engine_for(chat_server))

    assert pieces == ["Blessed", " are"]
    assert isinstance(error, LLMUnavailable)
    assert "broke off after 11 characters" in str(error)
    assert len(chat_server.requests) == 1  # never replayed once words have gone out


def test_a_stream_that_closes_without_finishing_raises(chat_server):
    chat_server.queue(fake.stream(["Half", " an"], finish=None, done=False))

    pieces, error = failure(engine_for(chat_server))

    assert pieces == ["Half", " an"]
    assert isinstance(error, LLMUnavailable) and "unfinished" in str(error)


def test_an_answer_stopped_by_the_endpoints_content_filter_raises(chat_server):
    chat_server.queue(fake.stream(["Well"], finish="content_filter"))

    _, error = failure(engine_for(chat_server))

    assert not isinstance(error, LLMUnavailable)
    assert "content filter" in str(error)


def test_an_answer_cut_by_max_tokens_is_kept(chat_server):
    chat_server.queue(fake.stream(["A long", " answer"], finish="length"))

    assert engine_for(chat_server).answer(PROMPT) == "A long answer"


def test_an_unreachable_endpoint_raises_unavailable_without_credentials_in_the_url():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    engine = OpenAIChatEngine(
        base_url=f"http://user:pw@127.0.0.1:{port}/v1", api_key=KEY, max_retries=0, timeout=2
    )

    _, error = failure(engine)

    assert isinstance(error, LLMUnavailable)
    assert str(error) == f"could not reach http://127.0.0.1:{port}/v1"


def test_the_timeout_must_be_positive():
    with pytest.raises(ValueError):
        OpenAIChatEngine(base_url="http://127.0.0.1:9/v1", timeout=0)
