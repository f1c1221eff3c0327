"""The clip pipeline: question text → answer → speech → lip-synced video → segments.

The stages (LLM, TTS, lip-sync, encode) are separate issues of this project. Until they are
installed, a build fails with a plain reason instead of pretending: the question keeps its place
and the moderator sees why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class BuildRequest:
    clip_id: int
    question_text: str
    viewer_name: str
    persona: dict[str, Any]


@dataclass
class BuildResult:
    answer_text: str
    duration: float
    timings: dict[str, float] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    lipsync_engine: str = ""


Pipeline = Callable[[BuildRequest], BuildResult]


def load_pipeline() -> Pipeline | None:
    """The installed pipeline, or None while the engines are not part of this build."""
    return None
