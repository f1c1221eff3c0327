"""How fast questions enter the queue through the same service chat and `ask` use.

Each question is its own transaction with its dashboard notice sent on commit (through the real
channel layer), as when viewers type one by one.
"""

from __future__ import annotations

import time
from typing import Any

COUNT = 1000


def run(count: int = COUNT) -> dict[str, Any]:
    from aijesus.studio.models import Question
    from aijesus.studio.services import question_submit

    started = time.perf_counter()
    for i in range(count):
        question_submit(text=f"Question number {i}: what is the meaning of grace?", viewer_name=f"viewer{i}")
    elapsed = time.perf_counter() - started
    assert Question.objects.count() >= count
    return {
        "questions": count,
        "per_second": round(count / elapsed, 1),
        "mean_ms": round(1000 * elapsed / count, 3),
    }
