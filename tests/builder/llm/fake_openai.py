"""A local stand-in for an OpenAI-compatible endpoint, speaking the streaming Chat Completions
format on 127.0.0.1: `data: {chunk}` lines, a last chunk with a finish_reason, then `data: [DONE]`.

Each request takes the next queued reply (a function that writes the response); with none
queued it streams `DEFAULT_ANSWER`. Every request is recorded with its headers and JSON body.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections import deque
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Reply = Callable[[BaseHTTPRequestHandler], None]
DEFAULT_ANSWER = ["Peace", " be", " with", " you."]
DEFAULT_MODELS = ["test-model", "llama3.1:latest"]


def chunk(content: str | None = None, finish: str | None = None, role: str | None = None) -> bytes:
    delta: dict[str, Any] = {}
    if role:
        delta["role"] = role
    if content is not None:
        delta["content"] = content
    body = {
        "id": "chatcmpl-test",
        "object": "chat.completion.chunk",
        "created": 1_700_000_000,
        "model": "test-model",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return f"data: {json.dumps(body)}\n\n".encode()


def _start_events(handler: BaseHTTPRequestHandler, length: int | None = None) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "text/event-stream")
    if length is not None:
        handler.send_header("Content-Length", str(length))
    handler.end_headers()
    handler.wfile.flush()


def _send(handler: BaseHTTPRequestHandler, data: bytes) -> None:
    handler.wfile.write(data)
    handler.wfile.flush()


def stream(
    deltas: list[str], finish: str | None = "stop", first_delay: float = 0.0, done: bool = True
) -> Reply:
    """A normal streamed answer; `first_delay` waits after the headers, before any words."""

    def reply(handler: BaseHTTPRequestHandler) -> None:
        _start_events(handler)
        _send(handler, chunk("", role="assistant"))
        time.sleep(first_delay)
        for delta in deltas:
            _send(handler, chunk(delta))
        if finish:
            _send(handler, chunk(finish=finish))
        if done:
            _send(handler, b"data: [DONE]\n\n")

    return reply


def cut(deltas: list[str]) -> Reply:
    """Promises a long body, sends a few words, then drops the connection."""

    def reply(handler: BaseHTTPRequestHandler) -> None:
        _start_events(handler, length=1_000_000)
        for delta in deltas:
            _send(handler, chunk(delta))
        handler.close_connection = True

    return reply


def empty_chunks(seconds: float, every: float = 0.05) -> Reply:
    """Keeps the stream busy with contentless chunks, never saying a word."""

    def reply(handler: BaseHTTPRequestHandler) -> None:
        _start_events(handler)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            _send(handler, chunk("", role="assistant"))
            time.sleep(every)

    return reply


def error(status: int, message: str, code: str | None = None, headers: dict[str, str] | None = None) -> Reply:
    def reply(handler: BaseHTTPRequestHandler) -> None:
        body = json.dumps({"error": {"message": message, "type": "error", "code": code}}).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        _send(handler, body)

    return reply


def models(names: list[str], held: threading.Event | None = None) -> Reply:
    """GET /models as OpenAI answers it; with `held`, only once it is set (a server too slow for
    the client's timeout, without depending on how slow)."""

    def reply(handler: BaseHTTPRequestHandler) -> None:
        if held is not None:
            held.wait(60)
        data = [
            {"id": name, "object": "model", "created": 1_700_000_000, "owned_by": "test"} for name in names
        ]
        body = json.dumps({"object": "list", "data": data}).encode()
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        _send(handler, body)

    return reply


class FakeChatServer:
    """POSTs (chat completions) take `replies`; GETs (the model list) take `get_replies`, and
    without one list DEFAULT_MODELS."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.replies: deque[Reply] = deque()
        self.get_replies: deque[Reply] = deque()
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                with server._lock:
                    server.requests.append(
                        {
                            "path": self.path,
                            "headers": {k.lower(): v for k, v in self.headers.items()},
                            "body": body,
                        }
                    )
                    reply = server.replies.popleft() if server.replies else stream(DEFAULT_ANSWER)
                # The client may give up first (the timeout tests): nothing to report then.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    reply(self)

            def do_GET(self) -> None:
                with server._lock:
                    server.requests.append(
                        {
                            "path": self.path,
                            "headers": {k.lower(): v for k, v in self.headers.items()},
                            "body": None,
                        }
                    )
                    reply = server.get_replies.popleft() if server.get_replies else models(DEFAULT_MODELS)
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    reply(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        # A short poll interval: shutdown() waits for one poll, and every test stops a server.
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def queue(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    def start(self) -> FakeChatServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
