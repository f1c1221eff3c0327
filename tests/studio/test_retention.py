"""The disk budget: the oldest aired clips no moderator starred lose their files first, until the
clip media fit MEDIA_MAX_GB (and any older than MEDIA_MAX_AGE_DAYS); never a starred clip, one not
aired yet or one on air; the rows stay, marked. Real files in a real MEDIA_ROOT, the real store."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from aijesus.studio import retention
from aijesus.studio.beat import ReapingScheduler
from aijesus.studio.models import Clip, Segment
from streamer import control
from tests.studio.disk_budget import KB, budget_kb, clip_with_files, has_files, media, removed

__all__ = ["media"]  # a fixture

pytestmark = pytest.mark.django_db


def test_the_oldest_unstarred_aired_clips_go_first_until_under_budget(persona, media, settings):
    oldest = clip_with_files(persona, kb=100, days_ago=30)
    starred = clip_with_files(persona, kb=100, days_ago=29, starred=True)
    older = clip_with_files(persona, kb=100, days_ago=20)
    recent = clip_with_files(persona, kb=100, days_ago=10)
    newest = clip_with_files(persona, kb=100, days_ago=1)
    budget_kb(settings, 250)  # 500 KiB kept: the two oldest unstarred go, to 300; one more, to 200

    done = retention.sweep()

    assert done.removed == [oldest.pk, older.pk, recent.pk]
    clips = (oldest, starred, older, recent, newest)
    assert [has_files(c) for c in clips] == [False, True, False, False, True]
    assert [removed(c) for c in clips] == [True, False, True, True, False]
    assert done.used_bytes == 200 * KB and done.freed_bytes == 300 * KB
    # The rows stay, with what was said; the segment rows (pointing at nothing now) go.
    assert Clip.objects.filter(pk=oldest.pk, answer_text=oldest.answer_text, aired_count=1).exists()
    assert not Segment.objects.filter(clip=oldest).exists() and Segment.objects.filter(clip=newest).exists()
    # Under budget now: a second pass removes nothing.
    assert retention.sweep().removed == []


def test_clips_not_aired_yet_on_air_or_building_are_never_removed(persona, media, settings):
    waiting = clip_with_files(persona, kb=100, days_ago=40, aired=0)  # ready, not aired yet
    building = clip_with_files(persona, kb=100, days_ago=40, aired=0, status=Clip.Status.BUILDING)
    on_air = clip_with_files(persona, kb=100, days_ago=40, aired=2, on_air_since=timezone.now())
    aired = clip_with_files(persona, kb=100, days_ago=1)
    budget_kb(settings, 1)

    done = retention.sweep()

    assert done.removed == [aired.pk]
    assert all(has_files(c) and not removed(c) for c in (waiting, building, on_air))
    assert done.used_bytes == 300 * KB  # over budget still: the rest may not go


def test_a_clip_waiting_to_be_re_aired_or_airing_per_the_streamer_stays(persona, media, settings):
    reair = clip_with_files(persona, kb=100, days_ago=40)
    playing = clip_with_files(persona, kb=100, days_ago=39)  # its on_air_since not written yet
    other = clip_with_files(persona, kb=100, days_ago=38)
    state = {"now_playing": {"clip": playing.pk}, "queue": [{"clip": reair.pk, "kind": "re-air"}]}
    control.redis_client().set(control.state_key(), json.dumps(state), ex=30)
    budget_kb(settings, 1)

    assert retention.sweep().removed == [other.pk]
    assert has_files(reair) and has_files(playing)


def test_the_age_limit_removes_old_aired_clips_whatever_the_budget(persona, media, settings):
    settings.MEDIA_MAX_GB, settings.MEDIA_MAX_AGE_DAYS = 0, 7  # no budget, a week
    old = clip_with_files(persona, kb=10, days_ago=8)
    old_starred = clip_with_files(persona, kb=10, days_ago=8, starred=True)
    old_unaired = clip_with_files(persona, kb=10, days_ago=8, aired=0)
    young = clip_with_files(persona, kb=10, days_ago=6)

    assert retention.sweep().removed == [old.pk]
    assert [has_files(c) for c in (old, old_starred, old_unaired, young)] == [False, True, True, True]


def test_soft_deleted_clips_lose_their_files_and_keep_their_rows(persona, media, settings, moderator):
    settings.MEDIA_MAX_GB = 0  # no budget: deleted clips' files go anyway
    gone = clip_with_files(persona, kb=10, days_ago=1, aired=0)
    gone.soft_delete(by=moderator, reason="off topic")
    building = clip_with_files(persona, kb=10, days_ago=1, aired=0, status=Clip.Status.BUILDING)
    building.soft_delete(by=moderator, reason="cancel later")  # its worker is still writing

    done = retention.sweep()

    assert done.deleted == [gone.pk] and not has_files(gone) and removed(gone)
    assert has_files(building) and not removed(building)
    assert Clip.objects.get(pk=gone.pk).delete_reason == "off topic"


def test_files_that_came_back_after_removal_go_again(persona, media, settings):
    settings.MEDIA_MAX_GB = 0
    clip = clip_with_files(persona, kb=10, days_ago=1)
    Clip.objects.filter(pk=clip.pk).update(media_removed_at=timezone.now())  # e.g. a late library render

    assert retention.sweep().leftovers == [clip.pk]
    assert not has_files(clip)


def test_files_of_no_known_clip_are_counted_apart_and_left_alone(persona, media, settings):
    stray = media / "clips" / "999999" / "attempt-1" / "x.mp4"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"\0" * 10 * KB)
    budget_kb(settings, 1)

    done = retention.sweep()

    assert stray.exists() and done.other_bytes == 10 * KB and done.used_bytes == 0


def test_the_owners_command_runs_the_pass(persona, media, settings):
    first = clip_with_files(persona, kb=100, days_ago=3)
    second = clip_with_files(persona, kb=100, days_ago=2)
    budget_kb(settings, 150)
    out = StringIO()
    call_command("media_budget", stdout=out)
    assert "Removed the media of 1 aired and 0 deleted clip(s)" in out.getvalue()
    assert removed(first) and not removed(second)
    record = retention.read_record()
    assert record is not None and record["used_bytes"] == 100 * KB and record["freed_bytes_total"] == 100 * KB


@pytest.mark.django_db(transaction=True)
def test_the_scheduler_runs_the_pass_on_a_thread_of_its_own(persona, media, settings, tmp_path):
    from aijesus.celery import app

    clip = clip_with_files(persona, kb=100, days_ago=3)
    budget_kb(settings, 50)
    scheduler = ReapingScheduler(app=app, schedule_filename=str(tmp_path / "beat-schedule"))
    try:
        scheduler.tick()  # the first tick reaps, and starts a pass
        assert scheduler._sweeping is not None
        scheduler._sweeping.join(30)
    finally:
        scheduler.close()
    assert removed(clip) and not has_files(clip)
