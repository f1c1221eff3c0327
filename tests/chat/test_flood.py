"""A bounded flood: 2,000 messages a second for 10 seconds through the real ingest into the
database. Every message must end up as a row — waiting, or dropped/merged with its reason."""

import time

import pytest
from django.db.models import Count

from aijesus.chat.ingest import Ingestor
from aijesus.chat.loadgen import messages
from aijesus.chat.models import ChatSettings
from aijesus.studio.models import Question

RATE = 2000
SECONDS = 10


@pytest.mark.slow
@pytest.mark.timeout(180)
@pytest.mark.django_db(transaction=True)
def test_a_flood_of_chat_loses_nothing():
    ChatSettings.load()  # the defaults: hold mode, 60 s cooldown, 500 waiting at most
    flood = messages(RATE * SECONDS, seed=11)
    ingestor = Ingestor(source="twitch", channel="flood").start()
    started = time.monotonic()
    try:
        for second in range(SECONDS):
            # Paced in 10 ms slices, as a busy chat arrives: never faster than RATE on average.
            for tick in range(100):
                due = started + second + tick / 100
                pause = due - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
                start = second * RATE + tick * (RATE // 100)
                for message in flood[start : start + RATE // 100]:
                    assert ingestor.submit(message)
        assert ingestor.wait_idle(120), f"{ingestor.backlog} events still waiting"
    finally:
        ingestor.stop()

    assert time.monotonic() - started >= SECONDS * 0.99
    assert ingestor.stats["events"] == len(flood)
    assert not any(name.startswith("lost") for name in ingestor.stats), ingestor.stats
    by_status = dict(Question.objects.values_list("status").annotate(n=Count("id")).order_by())
    assert sum(by_status.values()) == len(flood), by_status  # one row per message: 0 lost
    assert set(by_status) <= {"pending", "dropped"}
    assert by_status["pending"] <= 500
    unexplained = Question.objects.filter(status="dropped", status_reason="").count()
    assert unexplained == 0
    merged = Question.objects.filter(prescreen_verdict="merged").count()
    assert merged > 0 and Question.objects.filter(status_reason__startswith="queue full").exists()
    assert set(Question.objects.values_list("original_text", flat=True)) == {m.text for m in flood}
