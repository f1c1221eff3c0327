"""Replies of OpenAI's speech endpoint (POST /v1/audio/speech), for the local stand-in server of
`tests/builder/llm/fake_openai.py`: audio bytes with their content type, as the real one sends.
"""

from __future__ import annotations

import io
import json
import time
import wave
from http.server import BaseHTTPRequestHandler
from typing import Any

import numpy as np

from tests.builder.llm.fake_openai import Reply


def tone(seconds: float, rate: int = 24_000, hz: float = 220.0, lead: float = 0.2) -> np.ndarray:
    """`lead` seconds of silence, then a loud tone: audio with a clear pause and a clear 'voice'."""
    t = np.arange(int(seconds * rate)) / rate
    return np.concatenate([np.zeros(int(lead * rate)), 12000 * np.sin(2 * np.pi * hz * t)]).astype("<i2")


def send(handler: BaseHTTPRequestHandler, body: bytes, content_type: str) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def pcm(audio: np.ndarray) -> Reply:
    """The "pcm" format: raw 16-bit little-endian mono samples."""
    return lambda handler: send(handler, audio.astype("<i2").tobytes(), "audio/pcm")


def wav(audio: np.ndarray, rate: int, channels: int = 1) -> Reply:
    """A 16-bit WAV file; `audio` is (frames,) or (frames, channels)."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(np.asarray(audio, "<i2").tobytes())
    return lambda handler: send(handler, buffer.getvalue(), "audio/wav")


def json_body(document: dict[str, Any]) -> Reply:
    """A 200 whose body is JSON, not audio (a misbehaving compatible server)."""
    return lambda handler: send(handler, json.dumps(document).encode(), "application/json")


def slow(seconds: float, then: Reply) -> Reply:
    def reply(handler: BaseHTTPRequestHandler) -> None:
        time.sleep(seconds)
        then(handler)

    return reply
