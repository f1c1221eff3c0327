"""Failures of one clip stay with that clip: media that cannot be played is not counted and goes
back to be built; a clip that raises on every pick is set aside; reports are fenced by the lease
and counted once however often they are written."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from aijesus.studio import lifecycle
from aijesus.studio.models import Clip, Question
from streamer.live_playout import PlayoutThread
from streamer.outputs import Outputs
from streamer.playout import Playout
from streamer.runner import Streamer
from streamer.sources import Drawing
from tests.streamer.conftest import SMALL
from tests.streamer.helpers import appearing_together, make_clip, solid, tone

pytestmark = pytest.mark.django_db

RED, BLUE = (200, 40, 40), (30, 60, 220)


class CapturingStreamer(Streamer):
    """The real runner; frames go to a counter instead of an encoder."""

    def _emit(self, frame, pcm, stop) -> None:
        self.frame += 1


def two_segment_clip(persona, media_root: Path, **kwargs) -> Clip:
    return make_clip(
        persona, media_root,
        [(solid(RED, 10, SMALL), tone(10 / 30, 440)), (solid(BLUE, 10, SMALL), tone(10 / 30, 660))],
        SMALL, **kwargs,
    )  # fmt: skip


def air_once(streamer: Streamer) -> None:
    """What the frame loop and the playout thread do for one clip, on this thread, in order."""
    streamer.playout.round_now()  # picks it
    plan = streamer.playout.next_clip()
    assert plan is not None
    streamer.playout.round_now()  # its segments
    streamer._air(plan, threading.Event())
    streamer.playout.round_now()  # the reports


def streamer_for(idle, media_root: Path) -> CapturingStreamer:
    streamer = CapturingStreamer(SMALL, Outputs(preview_dir=media_root / "preview"), idle, fade_frames=0)
    assert streamer.lease.try_acquire()  # as run() does first: only the broadcaster writes reports
    return streamer


def rebuilt(clip: Clip) -> Clip:
    clip = Clip.objects.select_related("question").get(pk=clip.pk)
    assert (clip.status, clip.attempt, clip.aired_count) == ("queued", 1, 0)
    assert not clip.segments.exists()  # the bad attempt's segments never air again
    assert clip.question.status == Question.Status.APPROVED
    assert clip.question.status_reason == clip.note  # on the dashboard, for the question too
    assert clip.note.endswith("(attempt 2/3)") and clip.on_air_since is None
    return clip


def test_a_segment_that_does_not_decode_is_not_counted_and_the_clip_is_built_again(idle, persona, media_root):
    clip = two_segment_clip(persona, media_root)
    second = clip.segments.get(index=1)
    (media_root / second.media.name).write_bytes(b"\x00not an mp4 any more" * 50)
    streamer = streamer_for(idle, media_root)
    air_once(streamer)
    clip = rebuilt(clip)
    assert clip.note.startswith("rebuilding: segment 2 cannot be played:")
    assert streamer.frame >= 10  # its first segment did play: a partial airing, never counted
    streamer.publisher.close()


def test_a_segment_gone_from_the_media_store_sends_the_clip_back_before_it_airs(idle, persona, media_root):
    clip = two_segment_clip(persona, media_root)
    for segment in clip.segments.all():
        (media_root / segment.media.name).unlink()
    streamer = streamer_for(idle, media_root)
    streamer.playout.round_now()  # the pick finds the file gone: nothing to air
    assert streamer.playout.next_clip() is None
    streamer.playout.round_now()  # the report
    clip = rebuilt(clip)
    assert clip.note.startswith("rebuilding: segment 1 cannot be aired:") and "is not in" in clip.note
    streamer.publisher.close()


def test_media_broken_after_the_last_attempt_fails_the_clip_with_the_reason(persona, media_root, settings):
    settings.BUILD_MAX_ATTEMPTS = 1
    clip = two_segment_clip(persona, media_root)
    assert lifecycle.media_broken(clip_id=clip.pk, attempt=1, reason="segment 1 cannot be played: EOF")
    clip = Clip.objects.select_related("question").get(pk=clip.pk)
    assert clip.status == "failed" and clip.error.startswith("segment 1 cannot be played: EOF (gave up")
    assert clip.question.status == "failed" and "cannot be played" in clip.question.status_reason
    assert lifecycle.media_broken(clip_id=clip.pk, attempt=1, reason="again") is None  # said once


def test_a_clip_that_raises_on_every_pick_is_set_aside_and_the_answers_behind_it_air(
    persona, media_root, settings
):
    settings.STREAM_PICK_FAILURES = 3
    with appearing_together():
        poison = two_segment_clip(persona, media_root, priority=9, text="poison")
        good = two_segment_clip(persona, media_root, priority=1, text="good")

    def drawing(clip) -> Drawing:
        if clip.pk == poison.pk:
            raise TypeError("'int' object is not iterable")  # a broken persona version, say
        return Drawing(None)

    playout = PlayoutThread(Playout(), SMALL, drawing)
    playout.round_now()
    plan = playout.next_clip()
    assert plan is not None and plan.pk == good.pk  # the poison clip first in line holds up nothing
    playout.round_now()
    playout.round_now()  # its third failed pick: set aside...
    playout.round_now()  # ...written first thing in the next round
    poison = Clip.objects.select_related("question").get(pk=poison.pk)
    assert poison.status == "failed" and poison.aired_count == 0
    assert poison.error.startswith("set aside by the streamer after 3 failed attempts to air it: TypeError")
    assert poison.question.status == "failed" and "set aside" in poison.question.status_reason


def test_an_airing_is_counted_once_however_often_its_report_is_written(persona, media_root):
    clip = two_segment_clip(persona, media_root)
    started = timezone.now()
    assert lifecycle.airing_started(clip.pk, 1, at=started)
    counted = {"clip_id": clip.pk, "attempt": 1, "started_at": started, "segments": 2, "once": True}
    assert lifecycle.aired(**counted)
    assert not lifecycle.aired(**counted)  # replayed from the journal after it was written
    # A later airing's mark is not touched by the old airing's late report.
    again = started + timedelta(seconds=30)
    assert lifecycle.airing_started(clip.pk, 1, at=again)
    assert not lifecycle.aired(**counted)
    lifecycle.airing_abandoned(clip_id=clip.pk, started_at=started)
    assert Clip.objects.get(pk=clip.pk).on_air_since == again
    assert lifecycle.aired(**{**counted, "started_at": again})
    assert Clip.objects.get(pk=clip.pk).aired_count == 2


def test_an_airing_that_did_not_play_every_segment_or_lost_the_lease_is_not_counted(persona, media_root):
    clip = two_segment_clip(persona, media_root)
    started = timezone.now()
    lifecycle.airing_started(clip.pk, 1, at=started)
    assert not lifecycle.aired(clip_id=clip.pk, attempt=1, started_at=started, segments=1, once=True)
    lifecycle.airing_started(clip.pk, 1, at=started)
    fenced_off = {"clip_id": clip.pk, "attempt": 1, "started_at": started, "segments": 2}
    assert not lifecycle.aired(**fenced_off, fence=lambda: False)  # another streamer holds the lease
    clip = Clip.objects.get(pk=clip.pk)
    assert clip.aired_count == 0 and clip.on_air_since == started  # untouched: the holder decides
    assert lifecycle.clear_on_air() == [clip.pk] and Clip.objects.get(pk=clip.pk).on_air_since is None
