"""Answers from any OpenAI-compatible Chat Completions endpoint: OpenAI, Ollama, vLLM, llama.cpp.

Failures are split in two. `LLMUnavailable` (a subclass of `LLMError`) means a later try may
work: the endpoint could not be reached, timed out, was rate-limited or failed (5xx), or the
stream broke. Plain `LLMError` means trying again will not help: the key was refused, the model
does not exist, the request was rejected. The caller decides what to retry on that basis.

Retries: the `openai` client itself retries failures that happen before the answer starts
(connection errors, timeouts, 408/409/429/5xx) `max_retries` times with backoff. Once the first
words have been handed on, a broken stream is never retried here or quietly cut short: the
words already yielded may have been voiced, so `LLMUnavailable` is raised and the whole answer
must be redone by the caller.

Timeout: `timeout` seconds bound the connection, the wait for the response and every silence in
the stream, the first token included. An endpoint that keeps the stream busy without content
(empty deltas, role-only chunks) is also stopped once `timeout` passes with no words.

No message built here contains the API key: endpoint messages are scrubbed of it, and the
original exception is not chained, so a logged traceback cannot print it either.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import openai

from builder.llm.base import LLMEngine, LLMError, Prompt, Readiness
from builder.llm.errors import LLMUnavailable
from builder.llm.prompting import build_messages

log = logging.getLogger(__name__)

# Local servers ignore the key, but the client refuses to start without one.
PLACEHOLDER_KEY = "not-needed"
_KEY_LIKE = re.compile(r"\b(sk|key|token)[-_][A-Za-z0-9_\-]{6,}")
_DETAIL_CHARS = 200


class OpenAIChatEngine(LLMEngine):
    name = "openai"

    def __init__(
        self,
        *,
        base_url: str | None = None,
        api_key: str = "",
        model: str = "gpt-4o-mini",
        temperature: float = 0.7,
        max_tokens: int = 300,
        timeout: float = 20.0,
        max_retries: int = 2,
    ) -> None:
        """`base_url` None means OpenAI itself; e.g. "http://127.0.0.1:11434/v1" for Ollama."""
        if timeout <= 0:
            raise ValueError("timeout must be a positive number of seconds")
        self.model = model
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.timeout = float(timeout)
        self._key = api_key or ""
        self.endpoint = _describe(base_url)
        self._client = openai.OpenAI(
            base_url=base_url or None,
            api_key=self._key or PLACEHOLDER_KEY,
            timeout=self.timeout,
            max_retries=max_retries,
        )

    def stream(self, prompt: Prompt) -> Iterator[str]:
        started = time.monotonic()
        try:
            chunks = self._client.chat.completions.create(
                model=self.model,
                messages=build_messages(prompt),
                temperature=self.temperature,
                max_tokens=self.max_tokens,
                stream=True,
            )
        except openai.APIError as exc:
            raise self._error(exc) from None
        written, finish = 0, None
        try:
            with chunks:  # closes the connection if the consumer stops reading early
                for chunk in chunks:
                    text, reason = _content(chunk)
                    if text:
                        written += len(text)
                        yield text
                    elif not written and time.monotonic() - started > self.timeout:
                        raise LLMUnavailable(f"{self.endpoint} sent no words within {self.timeout:g} s")
                    finish = reason or finish
        except openai.APIError as exc:
            error = self._error(exc)
            if written:
                raise LLMUnavailable(f"the answer broke off after {written} characters: {error}") from None
            raise error from None
        except ValueError:
            # A chunk that is not JSON: the endpoint does not speak the streaming format.
            raise LLMError(f"{self.endpoint} sent a stream that is not Chat Completions JSON") from None
        self._check_finish(finish, written)

    def check(self, timeout: float = 5.0) -> Readiness:
        """List the endpoint's models (GET /models): proves it is reachable and takes the key."""
        timeout = min(timeout, self.timeout)
        client = self._client.with_options(timeout=timeout, max_retries=0)
        try:
            listed = [model.id for model in client.models.list()]
        except openai.APITimeoutError:
            raise LLMUnavailable(f"{self.endpoint} did not answer within {timeout:g} s") from None
        except openai.NotFoundError:
            # Some servers have no model list; the endpoint answered, which is what matters here.
            return Readiness(f"{self.endpoint} answers (it does not list its models)")
        except openai.APIError as exc:
            raise self._error(exc) from None
        detail = f"{self.endpoint} answers and takes the key; model {self.model!r}"
        if self.model in listed or any(name.split(":")[0] == self.model for name in listed):
            return Readiness(f"{detail} is served")
        shown = ", ".join(sorted(listed)[:8]) or "none"
        return Readiness(
            f"{detail} is not in its list",
            warning=f"{self.endpoint} does not list model {self.model!r} (it lists: {shown}); "
            "check LLM_MODEL",
        )

    def _check_finish(self, finish: str | None, written: int) -> None:
        if finish is None:
            # The connection closed cleanly but the model never said it was done.
            raise LLMUnavailable(
                f"the answer from {self.endpoint} ended unfinished after {written} characters"
            )
        if finish == "content_filter":
            raise LLMError(f"{self.endpoint} stopped the answer with its own content filter")
        if finish == "length":
            log.warning(
                "answer from %s hit max_tokens=%d; it may end mid-sentence", self.endpoint, self.max_tokens
            )

    def _error(self, exc: openai.APIError) -> LLMError:
        where = self.endpoint
        if isinstance(exc, openai.APITimeoutError):
            return LLMUnavailable(f"{where} did not answer within {self.timeout:g} s")
        if isinstance(exc, openai.APIConnectionError):
            return LLMUnavailable(f"could not reach {where}")
        if not isinstance(exc, openai.APIStatusError):
            return LLMError(f"{where} reported an error: {self._detail(exc)}")
        status = exc.status_code
        if status in (401, 403):
            return LLMError(f"{where} refused the API key (HTTP {status}); check LLM_API_KEY")
        if status == 404:
            return LLMError(
                f"{where} has no model {self.model!r} (HTTP 404); check LLM_MODEL and LLM_BASE_URL"
            )
        if status == 429 and _code(exc) == "insufficient_quota":
            return LLMError(f"{where} says the account is out of quota (HTTP 429)")
        if status == 429 or status >= 500:
            return LLMUnavailable(f"{where} is busy or failing (HTTP {status}): {self._detail(exc)}")
        return LLMError(f"{where} rejected the request (HTTP {status}): {self._detail(exc)}")

    def _detail(self, exc: openai.APIError) -> str:
        """The endpoint's own words, without the key: some servers echo the credentials they got."""
        body = exc.body
        message = body.get("message") if isinstance(body, dict) else None
        text = str(message or exc.message)
        if len(self._key) >= 4:
            text = text.replace(self._key, "[key]")
        text = _KEY_LIKE.sub("[key]", text)
        return text[:_DETAIL_CHARS]


def _content(chunk: Any) -> tuple[str, str | None]:
    # Usage-only chunks (stream_options) and some servers' keep-alives have no choices.
    if not chunk.choices:
        return "", None
    choice = chunk.choices[0]
    delta = getattr(choice, "delta", None)
    return (getattr(delta, "content", None) or ""), choice.finish_reason


def _code(exc: openai.APIStatusError) -> str | None:
    body = exc.body
    return body.get("code") if isinstance(body, dict) else None


def _describe(base_url: str | None) -> str:
    """The endpoint as shown in messages: scheme, host, port and path; never user:password@."""
    if not base_url:
        return "the OpenAI API"
    parts = urlsplit(base_url)
    host = parts.hostname or "?"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path.rstrip('/')}"
