"""The studio as real processes for fault tests: a prefork Celery worker, the scheduler (celery
beat, which runs the reaper), the streamer; all against the test database and a real Redis. And an
OpenAI-compatible endpoint whose answers a test holds at a point it chooses, then lets go or cuts.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from bench.studio import Studio as BaseStudio
from tests.builder.llm.fake_openai import Reply, chunk

# Small pictures, and heartbeats and the reaper at test speed: a silent build is rebuilt within
# a few seconds.
FAST_LIVENESS = {
    "STREAM_WIDTH": "320",
    "STREAM_HEIGHT": "180",
    "STREAM_FPS": "25",
    "BUILD_HEARTBEAT_SECONDS": "0.3",
    "BUILD_STALE_SECONDS": "3",
    "BUILD_REAP_SECONDS": "0.5",
    "BUILD_RESEND_SECONDS": "2",
}


def held(
    first: list[str], gate: threading.Event, then: list[str] | None = None, *, cut: bool = False
) -> Reply:
    """Streams `first`, then waits until the test sets `gate`; then streams `then` and finishes,
    or (cut) drops the connection in the middle of the answer."""

    def reply(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream")
        if cut:
            handler.send_header("Content-Length", "1000000")  # promised, never delivered
        handler.end_headers()
        for delta in first:
            handler.wfile.write(chunk(delta))
        handler.wfile.flush()
        gate.wait(300)
        if cut:
            handler.close_connection = True
            return
        for delta in then or []:
            handler.wfile.write(chunk(delta))
        handler.wfile.write(chunk(finish="stop") + b"data: [DONE]\n\n")
        handler.wfile.flush()

    return reply


class Studio(BaseStudio):
    """The studio's processes, small and with liveness at test speed."""

    def __init__(self, redis_url: str, media_root: Path, logs: Path, **env: str) -> None:
        super().__init__(redis_url, media_root, logs, **{**FAST_LIVENESS, **env})
