"""Builds that die are rebuilt and aired exactly once, and builds that only lost the database are
not rebuilt at all, with the real worker, scheduler and streamer.

Each test holds the answer's LLM stream open after its first sentence, so "mid-build" is a state
the test waits for (a segment of attempt 1 exists), not a moment it guesses.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.utils import timezone

from aijesus.studio.models import Clip, Question, Segment
from aijesus.studio.services import question_approve, question_submit
from tests.builder.llm.fake_openai import stream
from tests.database_outage import CuttableProxy
from tests.faults.studio import FAST_LIVENESS, held

# Real processes on a shared 2-core machine: generous limits; each wait is on a condition.
pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True), pytest.mark.timeout(600)]

FIRST = ["Forgiveness is a gift you give to the one who wronged you, and to yourself as well. "]
REST = ["It frees the heart. ", "Go in peace."]
# What a rebuilt attempt answers: the whole answer, in one go.
WHOLE = ["Forgiveness sets two people free. ", "Begin with one small step today."]


def approve(text: str = "How do I forgive?") -> Clip:
    return question_approve(question=question_submit(text=text, viewer_name="ivy"))


def gate(llm) -> threading.Event:
    event = threading.Event()
    llm.gates.append(event)
    return event


def clip(pk: int) -> Clip:
    return Clip.objects.select_related("question").get(pk=pk)


def first_segment_built(pk: int) -> bool:
    return Segment.objects.filter(clip_id=pk, attempt=1).exists()


def claimed_pid(pk: int) -> int:
    return int(clip(pk).claimed_by.rpartition(":")[2])


def assert_aired_once_whole(pk: int, *, attempt: int, answer: list[str]) -> Clip:
    aired = clip(pk)
    assert (aired.status, aired.attempt, aired.aired_count) == ("ready", attempt, 1)
    assert aired.answer_text == " ".join(s.strip() for s in answer)
    assert aired.question.status == Question.Status.AIRED
    assert set(aired.segments.values_list("attempt", flat=True)) == {attempt}
    # The airing that counted began once the last attempt was building: never a half answer.
    assert aired.first_aired_at >= aired.started_at
    return aired


def test_a_worker_child_killed_mid_build_is_rebuilt_and_aired_exactly_once(studio, llm):
    held_open = gate(llm)
    llm.queue(held(FIRST, held_open, REST), stream(WHOLE))
    studio.worker(), studio.scheduler(), studio.streamer()
    pk = approve().pk
    studio.wait_until(lambda: first_segment_built(pk), "the first segment of attempt 1")

    os.kill(claimed_pid(pk), signal.SIGKILL)  # the pool child, as the out-of-memory killer would
    held_open.set()
    studio.wait_until(lambda: clip(pk).aired_count >= 1, "the rebuilt clip to air")
    studio.stop("streamer")

    aired = assert_aired_once_whole(pk, attempt=2, answer=WHOLE)
    assert aired.note == ""  # cleared once ready; the attempt number tells the story
    # Rebuilt by the redelivered task or by the reaper, whichever noticed first.
    logs = "".join(path.read_text() for path in studio.logs.glob("*.log"))
    assert "rebuilding after its worker" in logs


def test_a_whole_worker_killed_mid_build_is_rebuilt_by_a_new_worker(studio, llm):
    held_open = gate(llm)
    llm.queue(held(FIRST, held_open, REST), stream(WHOLE))
    studio.worker(), studio.scheduler(), studio.streamer()
    pk = approve().pk
    studio.wait_until(lambda: first_segment_built(pk), "the first segment of attempt 1")

    studio.kill("worker")  # the main process and its pool child
    held_open.set()
    studio.wait_until(lambda: clip(pk).status == "queued", "the reaper to notice the silent heartbeat")
    assert clip(pk).note.startswith("rebuilding after its worker") and "(attempt 2/3)" in clip(pk).note
    assert clip(pk).question.status == Question.Status.APPROVED
    studio.worker("worker-2")
    studio.wait_until(lambda: clip(pk).aired_count >= 1, "the new worker's clip to air")
    studio.stop("streamer")

    assert_aired_once_whole(pk, attempt=2, answer=WHOLE)


def test_an_answer_whose_llm_stream_breaks_off_on_air_is_never_counted_half(studio, llm):
    held_open = gate(llm)
    llm.queue(held(FIRST + REST[:1], held_open, cut=True), stream(WHOLE))
    studio.worker(), studio.scheduler(), studio.streamer()
    pk = approve().pk
    # The streamer starts the clip while it is still building (its first segments are ready)...
    studio.wait_until(lambda: clip(pk).on_air_since is not None, "the streamer to start attempt 1 early")
    assert clip(pk).attempt == 1 and clip(pk).status == "building"
    held_open.set()  # ...and then the endpoint drops the answer mid-sentence.
    studio.wait_until(lambda: clip(pk).aired_count >= 1, "the whole retried answer to air")
    studio.stop("streamer")

    aired = assert_aired_once_whole(pk, attempt=2, answer=WHOLE)
    assert "cut short by its build" in (studio.logs / "streamer.log").read_text()
    assert aired.timings["first_text"] >= 0


@pytest.fixture
def db_proxies() -> Iterator[dict[str, CuttableProxy]]:
    """The worker's and the scheduler's ways to the database, each cut and mended by the test."""
    db = connection.settings_dict
    proxies = {name: CuttableProxy(db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)) for name in PROXIED}
    yield proxies
    for proxy in proxies.values():
        proxy.close()


PROXIED = ("worker", "scheduler")


def through(proxy: CuttableProxy, database_url: str) -> str:
    url = urlsplit(database_url)
    return url._replace(netloc=f"{url.netloc.rpartition('@')[0]}@127.0.0.1:{proxy.port}").geturl()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a SQLite file cannot be taken from a process")
def test_a_database_outage_longer_than_the_heartbeat_window_requeues_no_build_and_airs_it_once(
    studio, llm, db_proxies
):
    held_open = gate(llm)
    llm.queue(held(FIRST, held_open, REST))  # one answer only: a rebuild would have none to stream
    # The worker and the scheduler reach the database through proxies the test cuts; the streamer
    # and this test do not (the streamer's own outages are its business).
    direct = studio.env["DATABASE_URL"]
    studio.worker(DATABASE_URL=through(db_proxies["worker"], direct))
    studio.env["DATABASE_URL"] = through(db_proxies["scheduler"], direct)
    studio.scheduler()
    studio.env["DATABASE_URL"] = direct
    studio.streamer()
    pk = approve().pk
    studio.wait_until(lambda: first_segment_built(pk), "the first segment of attempt 1")

    for proxy in db_proxies.values():
        proxy.cut()
    held_open.set()  # the build goes on: its next step finds the database away
    window = timedelta(seconds=float(FAST_LIVENESS["BUILD_STALE_SECONDS"]))
    logs = {name: studio.logs / f"{name}.log" for name in PROXIED}
    studio.wait_until(lambda: "waiting for it" in logs["worker"].read_text(), "the build to wait")
    studio.wait_until(
        lambda: (
            timezone.now() - clip(pk).heartbeat_at > window
            and "the database is unreachable" in logs["scheduler"].read_text()
        ),
        "the outage to outlast the heartbeat window, the reaper trying",
    )
    # The reaper gets the database back first, with every heartbeat stale: the round where the
    # old reaper requeued every live build.
    seen = len(logs["scheduler"].read_text())
    db_proxies["scheduler"].mend()
    studio.wait_until(
        lambda: any(
            "reaper:" in line and "unreachable" not in line
            for line in logs["scheduler"].read_text()[seen:].splitlines()
        ),
        "the reaper to reach the database again",
    )
    db_proxies["worker"].mend()  # within the window the reaper waits: its heartbeat comes back
    studio.wait_until(lambda: clip(pk).aired_count >= 1, "the answer to air")
    studio.stop("streamer")

    assert_aired_once_whole(pk, attempt=1, answer=FIRST + REST)  # never requeued, never failed
    assert "rebuilding" not in logs["scheduler"].read_text()
    assert "the database answers again" in logs["worker"].read_text()
