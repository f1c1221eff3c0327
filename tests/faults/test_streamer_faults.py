"""The streamer's faults with the real processes: two streamers against one studio (one broadcasts,
the other stands by and takes over when the first is killed), media lost or corrupt before it airs
(not counted, built again, aired once), and a clip that cannot be prepared for air (set aside).

Each wait is on a condition of the database or of Redis; the LLM answer held open after its first
sentence makes "mid-answer" a state the test waits for, not a moment it guesses.
"""

from __future__ import annotations

import contextlib
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from aijesus.studio.models import Clip, PersonaVersion
from aijesus.studio.system.services import streamer_check
from builder.encode.speech import segment_files
from builder.media import MediaFormat
from streamer import control
from streamer.lease import holder, standbys
from streamer.state import read_state
from tests.builder.llm.fake_openai import stream
from tests.faults.studio import Studio, held
from tests.faults.test_build_faults import approve, assert_aired_once_whole, clip, gate
from tests.sprites import link_studio_cache
from tests.streamer.helpers import appearing_together, make_clip, solid, tone

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True), pytest.mark.timeout(600)]

STREAM = [sys.executable, "manage.py", "stream", "--output", "preview"]
HOST = socket.gethostname()
# The first sentence is long enough to go on air while the rest is held back; the rest short (each
# airing takes its length in real time).
FIRST = ["Forgiveness is a gift you give to the one who wronged you, and to yourself as well. "]
REST = ["Go in peace."]


@pytest.fixture
def lean_studio(studio, sprite_cache) -> Studio:
    """The studio's processes load the character the test run has drawn already (seconds saved
    per process); no scheduler: nothing here needs the reaper."""
    link_studio_cache(Path(studio.env["MEDIA_ROOT"]), sprite_cache)
    return studio


@contextlib.contextmanager
def studio_keys(studio: Studio) -> Iterator[None]:
    """This process reads and writes the stream keys of the studio (its own CHANNELS_PREFIX)."""
    layer = settings.CHANNEL_LAYERS["default"]
    config = {**layer["CONFIG"], "prefix": studio.env["CHANNELS_PREFIX"]}
    with override_settings(CHANNEL_LAYERS={"default": {**layer, "CONFIG": config}}):
        yield


def broadcaster() -> str | None:
    return holder(control.redis_client())


def aired(pk: int) -> bool:
    return clip(pk).aired_count >= 1


def test_two_streamers_air_each_answer_once_and_the_standby_takes_over_a_killed_one(lean_studio, llm):
    studio = lean_studio
    held_open = gate(llm)
    llm.queue(stream(["Love one another. "]), stream(["Be still. "]), held(FIRST, held_open, REST))
    studio.worker()
    with studio_keys(studio):
        # Both started at once (as a second `make run` would): whichever takes the lease first airs.
        started = {name: studio.start(name, STREAM).pid for name in ("streamer-a", "streamer-b")}
        studio.wait_until(lambda: len(standbys(control.redis_client())) == 1, "one streamer to stand by")
        on_air = broadcaster()
        first, second = sorted(started, key=lambda name: f"{HOST}/{started[name]}" != on_air)
        assert on_air == f"{HOST}/{started[first]}"
        row = streamer_check()  # the System page's Streamer row
        assert row.value.startswith(f"on air: {on_air}; ") and row.value.endswith("; 1 standby"), row

        one, two = approve("What is love?").pk, approve("How do I find peace?").pk
        studio.wait_until(lambda: aired(one) and aired(two), "both answers to air")
        three = approve().pk
        studio.wait_until(lambda: clip(three).on_air_since is not None, "the third answer on air, mid-build")
        killed_at, killed = timezone.now(), time.monotonic()
        studio.kill(first)
        takes_over = f"{HOST}/{started[second]}"
        studio.wait_until(lambda: broadcaster() == takes_over, "the standby to take over", 30)
        took_over = time.monotonic() - killed
        held_open.set()
        studio.wait_until(lambda: aired(three), "the answer cut by the kill to air again")
        assert read_state()["holder"] == takes_over
        studio.stop(second)

    assert took_over < 5, took_over
    assert [clip(pk).aired_count for pk in (one, two)] == [1, 1]  # never aired by both
    again = assert_aired_once_whole(three, attempt=1, answer=FIRST + REST)
    assert again.first_aired_at > killed_at  # the airing that counted is the standby's, from the start
    log = (studio.logs / f"{second}.log").read_text()
    assert f"standing by: the stream is on air from {on_air}" in log
    assert f"taking over the broadcast from {on_air}" in log
    assert f"cleared a stale 'on air' from clips [{three}]" in log
    assert "on air: clip" not in log.split("taking over")[0]  # it aired nothing while standing by


def poison_clip(persona, media_root: Path) -> Clip:
    """A ready answer the streamer cannot prepare: its persona version is damaged (drawing it
    raises), as a bad import or a hand edit could leave one."""
    fmt = MediaFormat(width=320, height=180, fps=25)
    with appearing_together():
        poison = make_clip(persona, media_root, [(solid((200, 40, 40), 25, fmt), tone(1.0, 440))], fmt,
                           priority=9, text="poison")  # fmt: skip
        number = persona.latest_version().number + 1
        damaged = PersonaVersion.objects.create(persona=persona, number=number, data={"voice": 5})
        Clip.objects.filter(pk=poison.pk).update(persona_version=damaged)
    return poison


def speech_files(pk: int, media_root: Path) -> list[Path]:
    return [
        media_root / path
        for segment in clip(pk).segments.all()
        for path in segment_files(Path(segment.media.name), segment.kind)
    ]


def test_lost_or_corrupt_media_is_built_again_and_aired_once_and_a_poison_clip_is_set_aside(
    lean_studio, answering_persona
):
    studio = lean_studio
    studio.worker(), studio.streamer()
    media_root = Path(studio.env["MEDIA_ROOT"])
    with studio_keys(studio):
        control.send("pause")
        studio.wait_until(lambda: (read_state() or {}).get("paused"), "the streamer to pause")
        lost, corrupt = approve("Where did it go?").pk, approve("What is broken?").pk
        studio.wait_until(lambda: clip(lost).status == clip(corrupt).status == "ready", "both answers built")
        poison = poison_clip(answering_persona, media_root).pk
        for path in speech_files(lost, media_root):
            path.unlink()  # removed from the media folder (a disk cleanup gone wrong)
        for path in speech_files(corrupt, media_root):
            path.write_bytes(b"\x00" * 64)  # damaged in place
        control.send("resume")
        studio.wait_until(lambda: aired(lost) and aired(corrupt), "both answers, built again, to air")
        studio.wait_until(lambda: clip(poison).status == "failed", "the poison clip to be set aside")
        studio.stop("streamer")

    for pk in (lost, corrupt):
        again = clip(pk)
        assert (again.status, again.attempt, again.aired_count) == ("ready", 2, 1)  # never counted unheard
        assert set(again.segments.values_list("attempt", flat=True)) == {2}
    set_aside = clip(poison)
    assert set_aside.aired_count == 0 and set_aside.question.status == "failed"
    assert set_aside.error.startswith("set aside by the streamer after 3 failed attempts to air it: Type")
    log = (studio.logs / "streamer.log").read_text()
    assert f"clip {lost}: rebuilding: segment 1 cannot be" in log
    assert f"clip {corrupt}: rebuilding: segment 1 cannot be played" in log
