"""Redis and the database going away under the running studio: nothing is lost, the stream goes on."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest
from django.db import connection

from aijesus.localredis import BundledRedis
from aijesus.studio.models import Clip, Question
from tests.builder.llm.fake_openai import stream
from tests.faults.studio import Studio, held
from tests.faults.test_build_faults import (
    FIRST,
    REST,
    WHOLE,
    approve,
    assert_aired_once_whole,
    clip,
    first_segment_built,
    gate,
)
from tests.streamer.helpers import KEY, RtmpServer, free_port, read_recording

# Real processes on a shared 2-core machine: generous limits; each wait is on a condition.
pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True), pytest.mark.timeout(600)]


@pytest.fixture
def own_redis(tmp_path):
    """A Redis this test may kill: the session's is shared with every other test."""
    server = BundledRedis(tmp_path / "redis-1")
    server.start()
    yield server
    server.stop()


def test_redis_lost_mid_build_and_mid_stream_loses_no_question_and_no_frame(
    own_redis, tmp_path, answering_persona, llm
):
    rtmp = RtmpServer(free_port(), tmp_path / "recorded.flv")
    studio = Studio(
        own_redis.url, tmp_path / "media", tmp_path / "logs",
        LLM_API_KEY="k", LLM_BASE_URL=llm.url, STREAM_KEY=KEY,
    )  # fmt: skip
    restarted = None
    try:
        held_open = gate(llm)
        llm.queue(held(FIRST, held_open, REST), stream(WHOLE))
        studio.worker(), studio.scheduler(), studio.streamer("--output", "rtmp", "--rtmp", rtmp.url)
        first = studio.ask("How do I forgive?")
        studio.wait_until(lambda: first_segment_built(first), "the first segment of the first answer")

        own_redis.process.kill()  # SIGKILL: everything Redis held (queued tasks, commands) is gone
        own_redis.process.wait()
        second = studio.ask("What is hope?")  # approved while the broker is down
        assert clip(second).status == "queued" and clip(second).enqueued_at is None
        held_open.set()
        studio.wait_until(lambda: clip(first).status == "ready", "the first build to finish without Redis")

        restarted = BundledRedis(tmp_path / "redis-2", port=own_redis.port)
        restarted.start()
        studio.wait_until(
            lambda: clip(first).aired_count >= 1 and clip(second).aired_count >= 1, "both answers to air"
        )
        studio.stop("streamer")
        rtmp.finish()
    finally:
        studio.stop_all()
        if restarted is not None:
            restarted.stop()
        if rtmp.proc.poll() is None:
            rtmp.kill()

    assert_aired_once_whole(first, attempt=1, answer=FIRST + REST)
    assert_aired_once_whole(second, attempt=1, answer=WHOLE)
    # One unbroken stream through it all: every frame 40 ms after the one before (25 fps).
    recording = read_recording(rtmp.out)
    assert set(np.diff(recording.video_pts).tolist()) == {40}
    assert "reconnect" not in (studio.logs / "streamer.log").read_text().lower()


CHAT = 30  # messages, half a second apart: the reader is still reading when the database drops


@pytest.mark.skipif(connection.vendor != "postgresql", reason="restarting the server is a PostgreSQL case")
def test_every_process_reconnects_after_the_database_drops_its_connections(studio, llm, tmp_path):
    replay = tmp_path / "chat.jsonl"
    replay.write_text(
        "".join(
            json.dumps(
                {"t": i * 0.5, "user": f"viewer{i}", "text": f"Question {i}: what does verse {i} mean?"}
            )
            + "\n"
            for i in range(CHAT)
        )
    )
    held_open = gate(llm)
    llm.queue(held(FIRST, held_open, REST), stream(WHOLE))
    studio.worker(), studio.scheduler(), studio.streamer()
    studio.start("chat", [sys.executable, "manage.py", "readchat", "--replay", str(replay), "--stay"])
    first = approve().pk
    studio.wait_until(lambda: first_segment_built(first), "the first segment")
    studio.wait_until(lambda: from_chat() >= 1, "the chat reader's first question")

    # What a PostgreSQL restart does to its clients: every other session's connection is cut.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        assert cursor.fetchone()[0] >= 3  # the worker, its heartbeat, the scheduler, the streamer
    held_open.set()
    second = approve("What is hope?").pk
    studio.wait_until(
        lambda: clip(first).aired_count >= 1 and clip(second).aired_count >= 1, "both answers to air"
    )
    studio.wait_until(lambda: from_chat() == CHAT, "every chat message to be stored")
    studio.stop("streamer")
    for pk in (first, second):
        aired = Clip.objects.get(pk=pk)
        assert (aired.status, aired.aired_count) == ("ready", 1)


def from_chat() -> int:
    return Question.objects.filter(source=Question.Source.REPLAY).count()
