"""A build rides out a database that goes away: its lifecycle calls wait for the database and are
made again, once; the clip is not failed, nor rebuilt, for an outage.

The database goes away for real (tests/database_outage.py): the build's connection is closed and
every new one looks for the database where none answers, until the test brings it back.
"""

from __future__ import annotations

import logging
import threading

import pytest
from django.db import OperationalError, connection

from aijesus.studio import lifecycle
from aijesus.studio.models import Clip, Question
from aijesus.studio.services import question_approve, question_submit
from builder.database import when_reachable
from builder.services import clip_build
from tests.database_outage import lose_database

# Outside a transaction: a lost database closes the connection, which a test transaction forbids.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def queued_clip(persona, settings, tmp_path, monkeypatch) -> Clip:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STREAM_WIDTH, settings.STREAM_HEIGHT, settings.STREAM_FPS = 320, 180, 25
    settings.BUILD_HEARTBEAT_SECONDS = 0.05  # the pause between two tries
    monkeypatch.setattr("builder.tasks.build_clip.apply_async", lambda *args, **kwargs: None)
    return question_approve(question=question_submit(text="What is forgiveness?", viewer_name="ivy"))


def mend_once_waiting(mend, caplog) -> threading.Thread:
    """Brings the database back once the build has said it waits for it (so it did fail first)."""

    def run() -> None:
        for _ in range(600):
            if any("waiting for it" in r.getMessage() for r in caplog.records):
                break
            threading.Event().wait(0.05)
        mend()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_a_call_made_while_the_database_is_away_waits_for_it(queued_clip, tmp_path, caplog):
    tries: list[int] = []

    def call() -> int:
        tries.append(1)
        return Clip.objects.filter(pk=queued_clip.pk).update(note="noted")

    mend = lose_database(tmp_path)
    helper = mend_once_waiting(mend, caplog)
    with caplog.at_level(logging.INFO, logger="builder.database"):
        assert when_reachable(call, what="a note") == 1
    helper.join()
    assert len(tries) >= 2 and Clip.objects.get(pk=queued_clip.pk).note == "noted"


def test_a_call_that_committed_before_the_database_went_away_is_not_made_twice(queued_clip, tmp_path):
    made: list[int] = []
    lost: list = []

    def call() -> int:
        made.append(Clip.objects.filter(pk=queued_clip.pk).update(note="noted"))  # committed
        lost.append(lose_database(tmp_path))
        return Clip.objects.filter(pk=queued_clip.pk).count()  # …and the answer never comes

    def done() -> int | None:
        lost[0]()  # the database is back
        return 1 if Clip.objects.filter(pk=queued_clip.pk, note="noted").exists() else None

    assert when_reachable(call, what="a note", done=done) == 1
    assert made == [1]


def test_a_database_away_longer_than_a_build_waits_is_raised(queued_clip, tmp_path):
    mend = lose_database(tmp_path)
    try:
        with pytest.raises(OperationalError):
            when_reachable(lambda: Clip.objects.count(), what="a count", wait=0.2)
    finally:
        connection.close()
        mend()


def test_a_build_rides_out_a_database_outage_and_its_attempt_becomes_ready(
    queued_clip, tmp_path, monkeypatch, caplog
):
    from builder import pipeline

    real_write = pipeline.write_speech
    helpers: list[threading.Thread] = []

    def write_then_lose_the_database(*args, **kwargs):
        written = real_write(*args, **kwargs)
        if not helpers:  # after the first sentence is voiced, before its segment is recorded
            helpers.append(mend_once_waiting(lose_database(tmp_path), caplog))
        return written

    monkeypatch.setattr("builder.pipeline.write_speech", write_then_lose_the_database)
    with caplog.at_level(logging.INFO, logger="builder.database"):
        assert clip_build(clip_id=queued_clip.pk) == "ready"
    helpers[0].join()

    clip = Clip.objects.get(pk=queued_clip.pk)
    assert (clip.status, clip.attempt, clip.error, clip.note) == ("ready", 1, "", "")
    indexes = list(clip.segments.order_by("index").values_list("index", "attempt"))
    assert indexes == [(i, 1) for i in range(len(indexes))] and len(indexes) > 1  # each recorded once
    assert Question.objects.get().status == Question.Status.READY
    assert any("segment 0: the database is unreachable" in r.getMessage() for r in caplog.records)
    assert lifecycle.claim(clip_id=clip.pk, worker="another") is None  # nothing left to build
