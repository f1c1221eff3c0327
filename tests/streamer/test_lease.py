"""One broadcaster: the lease in Redis, the standby that waits for it, and what the System page
shows; the journal of airing reports, on Redis or on disk when Redis does not answer."""

from __future__ import annotations

import json
import threading
import time

import pytest
from django.utils import timezone

from aijesus.studio.system.services import streamer_check
from streamer import control
from streamer.lease import Lease, LeaseUnknown, holder, lease_key, standbys
from streamer.outputs import Outputs
from streamer.reports import AIRED, STARTED, Journal, Report
from streamer.runner import Streamer
from tests.streamer.conftest import SMALL
from tests.streamer.helpers import free_port


def dead_redis():
    """A client of a Redis that does not answer (nothing listens on its port)."""
    return control.streamer_client(f"redis://127.0.0.1:{free_port()}/0")  # the streamer's: fails fast


def test_a_second_streamer_stands_by_says_so_and_takes_over_once_the_lease_lapses(redis_url, caplog):
    client = control.redis_client()
    on_air, second = Lease(client, seconds=2), Lease(client, seconds=2)
    assert on_air.try_acquire() and not second.try_acquire()
    stop, took = threading.Event(), []
    waiting = threading.Thread(target=lambda: took.append(second.wait(stop)))
    caplog.set_level("INFO", logger="streamer.lease")
    waiting.start()
    try:
        deadline = time.monotonic() + 10
        while not standbys(client) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert holder(client) == on_air.name and standbys(client) == [second.name]
        state = {"on_air": True, "output": "preview", "now_playing": None, "health": {"fps": 30}}
        client.set(control.state_key(), json.dumps(state))
        check = streamer_check()
        assert check.status == "ok" and check.value.startswith(f"on air: {on_air.name}; idle loop")
        assert check.value.endswith("; 1 standby")
        assert on_air.renew() is True and not took  # renewed: the standby keeps waiting
        died = time.monotonic()  # the holder stops renewing, as a killed process does
        waiting.join(10)
        assert took == [True] and time.monotonic() - died <= 2 + 1.5  # its 2 s, a poll, a busy machine
    finally:
        stop.set()
        waiting.join(5)
    assert holder(client) == second.name and standbys(client) == []
    assert f"standing by: the stream is on air from {on_air.name}" in caplog.text
    assert f"taking over the broadcast from {on_air.name}" in caplog.text
    # The old holder, back from a stall, finds the lease taken: it must stop.
    assert on_air.check() is False and on_air.lost.is_set() and on_air.taken_by == second.name
    second.release()
    assert holder(client) is None


def test_while_redis_is_away_the_holder_counts_only_as_long_as_its_last_renewal_proves_the_lease():
    lease = Lease(dead_redis(), seconds=3)
    assert lease.renew() is None  # no answer: neither kept nor lost
    assert not lease.lost.is_set()
    lease._valid_until = time.monotonic() + 3  # renewed just before Redis went away
    assert lease.check() is True
    lease._valid_until = time.monotonic() + 0.5  # less left than a count may need
    with pytest.raises(LeaseUnknown):
        lease.check()


def test_reports_are_journaled_on_disk_while_redis_is_away_and_replayed_in_order(redis_url, tmp_path):
    path = tmp_path / "airings.jsonl"
    started = timezone.now()
    first = Report(STARTED, 7, 1, started_at=started)
    last = Report(AIRED, 7, 1, started_at=started, segments=3)
    Journal(control.redis_client(), path).add(first)
    Journal(dead_redis(), path).add(last)  # Redis went away between the two
    assert last.to_json() in path.read_text()
    journal = Journal(control.redis_client(), path)
    assert journal.load() == [first, last]  # both places, in the order they were made
    for report in (first, last):
        journal.remove(report)
    assert journal.load() == [] and path.read_text() == ""


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_streamer_that_finds_the_lease_taken_stops_its_encoder_stands_by_and_comes_back(
    idle, persona, media_root
):
    client = control.redis_client()
    streamer = Streamer(SMALL, Outputs(preview_dir=media_root / "preview"), idle)
    stop = threading.Event()
    thread = threading.Thread(target=streamer.run, args=(stop,), name="streamer-under-test")
    thread.start()
    try:
        wait(lambda: streamer.encoder is not None and streamer.frame > SMALL.fps)
        client.set(lease_key(), "elsewhere/42/0123abcd", px=60_000)  # another streamer holds it now
        wait(lambda: streamer.encoder is None and standbys(client) == [streamer.lease.name])
        assert streamer.lease.taken_by == "elsewhere/42"
        stood_by_at = streamer.frame
        client.delete(lease_key())  # that one stopped
        wait(lambda: streamer.frame > stood_by_at + SMALL.fps)
        assert holder(client) == streamer.lease.name and standbys(client) == []
    finally:
        stop.set()
        thread.join(30)
    assert not thread.is_alive() and holder(client) is None  # handed back on the way out


def wait(condition, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
