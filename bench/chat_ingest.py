"""Chat ingest into the database: the sustained rate of the real path (prescreen, batch
decisions, bulk writes, one dashboard notice per batch), with the default chat settings.

``burst``: 20,000 messages handed over at once; the rate is messages / time until all are rows.
``paced``: 2,000 messages a second for 10 seconds, as a flooded chat; reports the largest backlog
seen and how long after the last message the queue was fully written.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

BURST = 20_000
RATE, SECONDS = 2000, 10


def run() -> dict[str, Any]:
    return {"burst": _burst(), "paced": _paced()}


def _fresh() -> None:
    from aijesus.chat.models import ChatSettings, SupportEvent
    from aijesus.studio.models import Question

    SupportEvent.objects.all().delete()
    Question.objects.all().delete()
    ChatSettings.objects.all().delete()
    ChatSettings.load()


def _outcomes() -> dict[str, int]:
    from aijesus.studio.models import Question

    counts = Counter()
    for status, verdict in Question.objects.values_list("status", "prescreen_verdict"):
        counts["merged" if verdict == "merged" else status] += 1
    return dict(counts)


def _burst() -> dict[str, Any]:
    from aijesus.chat.ingest import Ingestor
    from aijesus.chat.loadgen import messages

    _fresh()
    flood = messages(BURST, seed=3)
    ingestor = Ingestor(source="twitch", channel="bench").start()
    started = time.perf_counter()
    for message in flood:
        ingestor.submit(message)
    drained = ingestor.wait_idle(600)
    elapsed = time.perf_counter() - started
    ingestor.stop()
    outcomes = _outcomes()
    return {
        "messages": len(flood),
        "drained": drained,
        "rows": sum(outcomes.values()),
        "outcomes": outcomes,
        "seconds": round(elapsed, 2),
        "per_second": round(len(flood) / elapsed),
    }


def _paced() -> dict[str, Any]:
    from aijesus.chat.ingest import Ingestor
    from aijesus.chat.loadgen import messages

    _fresh()
    flood = messages(RATE * SECONDS, seed=5)
    ingestor = Ingestor(source="twitch", channel="bench").start()
    per_tick = RATE // 100
    started = time.perf_counter()
    worst = 0
    for tick in range(SECONDS * 100):
        pause = started + tick / 100 - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        for message in flood[tick * per_tick : (tick + 1) * per_tick]:
            ingestor.submit(message)
        worst = max(worst, ingestor.backlog)
    sent = time.perf_counter()
    drained = ingestor.wait_idle(600)
    done = time.perf_counter()
    ingestor.stop()
    outcomes = _outcomes()
    return {
        "messages": len(flood),
        "offered_per_second": round(len(flood) / (sent - started)),
        "drained": drained,
        "rows": sum(outcomes.values()),
        "largest_backlog": worst,
        "drain_after_last_s": round(done - sent, 3),
        "sustained_per_second": round(len(flood) / (done - started)),
    }
