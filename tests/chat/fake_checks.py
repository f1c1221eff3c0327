"""A local OpenAI-compatible endpoint for the optional chat checks, on 127.0.0.1:
``POST /v1/moderations`` (a list of inputs in, one result each) and ``POST /v1/chat/completions``
(not streamed), answering like OpenAI does. Each request is recorded; a test decides what is
flagged (``flag_words``, ``labels``) or makes the server fail (``fail_with``)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CATEGORIES = [
    "harassment",
    "harassment/threatening",
    "hate",
    "hate/threatening",
    "self-harm",
    "sexual",
    "violence",
]


class FakeChecks:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.flag_words: dict[str, str] = {}  # word in the input → category flagged
        self.labels: dict[str, tuple[str, str]] = {}  # word in a question → (label, why)
        self.fail_with: int | None = None
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                server.requests.append({"path": self.path, "body": body})
                if server.fail_with:
                    self._send(server.fail_with, {"error": {"message": "overloaded", "type": "server_error"}})
                elif self.path.endswith("/moderations"):
                    self._send(200, server._moderations(body))
                elif self.path.endswith("/chat/completions"):
                    self._send(200, server._completion(body))
                else:
                    self._send(404, {"error": {"message": "no such route"}})

            def _send(self, status: int, data: dict[str, Any]) -> None:
                raw = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def start(self) -> FakeChecks:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def _moderations(self, body: dict[str, Any]) -> dict[str, Any]:
        inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
        results = []
        for text in inputs:
            hit = next((cat for word, cat in self.flag_words.items() if word in text.lower()), None)
            categories = {name: name == hit for name in CATEGORIES}
            scores = {name: 0.99 if name == hit else 0.001 for name in CATEGORIES}
            results.append({"flagged": hit is not None, "categories": categories, "category_scores": scores})
        return {"id": "modr-test", "model": body.get("model", "omni-moderation-latest"), "results": results}

    def _completion(self, body: dict[str, Any]) -> dict[str, Any]:
        questions = json.loads(body["messages"][-1]["content"])
        labels = []
        for i, text in enumerate(questions):
            label, why = next(
                (found for word, found in self.labels.items() if word in text.lower()),
                ("ok", "a fair question"),
            )
            labels.append({"i": i, "label": label, "why": why})
        return {
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": body.get("model", "test-model"),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": json.dumps({"labels": labels})},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
        }
