"""The lifecycle owns every move of a clip from approval to air, and its question follows."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from aijesus.studio import lifecycle
from aijesus.studio.models import Clip, Question, Segment
from aijesus.studio.services import clip_cancel, clip_retry, question_approve, question_submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(monkeypatch) -> list[int]:
    """Build tasks sent (the broker is a boundary here; tests/lifecycle/ sends through the real one)."""
    ids: list[int] = []
    monkeypatch.setattr(
        "builder.tasks.build_clip.apply_async", lambda args, **_: ids.append(args[0]), raising=True
    )
    return ids


def approved(persona, django_capture_on_commit_callbacks=None) -> Clip:
    return question_approve(question=question_submit(text="Who are you?", viewer_name="carol"))


def status_of(clip: Clip) -> tuple[str, str]:
    clip.refresh_from_db()
    return clip.status, Question.objects.get(pk=clip.question_id).status


def building(persona, worker: str = "w1") -> tuple[Clip, lifecycle.Claim]:
    clip = approved(persona)
    claim = lifecycle.claim(clip_id=clip.pk, worker=worker)
    assert claim is not None
    return clip, claim


def test_approval_queues_a_clip_and_sends_its_build_once_committed(
    persona, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        clip = approved(persona)
    assert status_of(clip) == ("queued", "approved")
    assert clip.persona_version == persona.latest_version()
    assert sent == [clip.pk] and clip.enqueued_at is not None


def test_a_claim_starts_an_attempt_and_the_question_follows(persona):
    clip, claim = building(persona)
    assert claim.attempt == 1 and not claim.last
    assert status_of(clip) == ("building", "building")
    assert clip.claimed_by == "w1" and clip.heartbeat_at is not None
    assert lifecycle.claim(clip_id=clip.pk, worker="w2") is None


@pytest.mark.django_db(transaction=True)
def test_of_eight_workers_claiming_at_once_exactly_one_wins(persona):
    clip = approved(persona)
    barrier = threading.Barrier(8)
    results: list[object] = []

    def worker(name: str) -> None:
        barrier.wait()
        results.append(lifecycle.claim(clip_id=clip.pk, worker=name))
        connection.close()

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sum(r is not None for r in results) == 1
    assert Clip.objects.get(pk=clip.pk).attempt == 1


def test_heartbeats_and_progress_of_an_attempt_that_is_no_longer_current_are_refused(persona):
    clip, claim = building(persona)
    assert lifecycle.heartbeat(clip_id=clip.pk, attempt=claim.attempt)
    assert lifecycle.progress(clip_id=clip.pk, attempt=claim.attempt, state={"stage": "video"})
    assert lifecycle.rebuild(clip_id=clip.pk, attempt=claim.attempt, why="test") == "queued"
    assert not lifecycle.heartbeat(clip_id=clip.pk, attempt=claim.attempt)
    assert not lifecycle.progress(clip_id=clip.pk, attempt=claim.attempt, state={})
    assert (
        lifecycle.record_segment(clip_id=clip.pk, attempt=1, index=0, media="x", duration=1, text="") is None
    )


def test_finish_makes_clip_and_question_ready_and_drops_earlier_attempts_segments(persona):
    clip, _ = building(persona)
    lifecycle.record_segment(clip_id=clip.pk, attempt=1, index=0, media="a", duration=1.0, text="one")
    lifecycle.rebuild(clip_id=clip.pk, attempt=1, why="test")
    second = lifecycle.claim(clip_id=clip.pk, worker="w2")
    assert second.attempt == 2
    lifecycle.record_segment(clip_id=clip.pk, attempt=2, index=0, media="b", duration=2.0, text="two")
    assert not lifecycle.finish(clip_id=clip.pk, attempt=1, duration=1.0)  # the old attempt lost it
    assert lifecycle.finish(clip_id=clip.pk, attempt=2, duration=2.0, answer_text="two")
    assert status_of(clip) == ("ready", "ready")
    assert list(Segment.objects.filter(clip=clip).values_list("attempt", "media")) == [(2, "b")]
    assert clip.note == "" and clip.duration == 2.0


def test_a_transient_error_releases_the_clip_until_the_last_attempt_fails_it(persona, settings):
    settings.BUILD_MAX_ATTEMPTS = 2
    clip, _ = building(persona)
    assert lifecycle.release(clip_id=clip.pk, attempt=1, reason="LLM timed out") == "queued"
    assert status_of(clip) == ("queued", "approved")
    assert clip.note == "retrying after: LLM timed out (attempt 2/2)"
    claim = lifecycle.claim(clip_id=clip.pk, worker="w1")
    assert claim.last
    assert lifecycle.release(clip_id=clip.pk, attempt=2, reason="LLM timed out") == "failed"
    assert status_of(clip) == ("failed", "failed")
    question = Question.objects.get(pk=clip.question_id)
    assert question.status_reason == "clip build failed: gave up after 2 attempts: LLM timed out"
    assert question.text == "Who are you?"


def test_the_reaper_rebuilds_a_build_whose_heartbeat_went_silent(
    persona, sent, settings, django_capture_on_commit_callbacks
):
    clip, _ = building(persona, worker="host:4242")
    fresh, _ = building(persona, worker="host:1")
    silent = timezone.now() - timedelta(seconds=settings.BUILD_STALE_SECONDS + 1)
    Clip.objects.filter(pk=clip.pk).update(heartbeat_at=silent)
    with django_capture_on_commit_callbacks(execute=True):
        done = lifecycle.reap()
    assert done.rebuilt == [clip.pk] and done.failed == []
    assert status_of(clip) == ("queued", "approved")
    assert clip.note == "rebuilding after its worker (host:4242) stopped (attempt 2/3)"
    assert sent == [clip.pk] and status_of(fresh) == ("building", "building")


def test_the_reaper_fails_the_clip_after_the_last_attempt_and_the_question_says_why(persona, settings):
    settings.BUILD_MAX_ATTEMPTS = 1
    clip, _ = building(persona, worker="host:4242")
    Clip.objects.filter(pk=clip.pk).update(heartbeat_at=None)
    assert lifecycle.reap().failed == [clip.pk]
    assert status_of(clip) == ("failed", "failed")
    assert Question.objects.get(pk=clip.question_id).status_reason == (
        "clip build failed: its worker (host:4242) stopped during attempt 1/1"
    )


def test_two_reapers_at_once_rebuild_a_clip_once(persona):
    clip, _ = building(persona)
    outcomes = [lifecycle.rebuild(clip_id=clip.pk, attempt=1, why="x") for _ in range(2)]
    assert outcomes == ["queued", None]
    assert lifecycle.claim(clip_id=clip.pk, worker="w").attempt == 2


def test_the_reaper_sends_again_a_clip_queued_while_the_broker_was_down(
    persona, monkeypatch, django_capture_on_commit_callbacks
):
    from kombu.exceptions import OperationalError

    import builder.tasks

    def broker_down(args, **_):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(builder.tasks.build_clip, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        clip = approved(persona)  # the approval itself succeeds
    clip.refresh_from_db()
    assert clip.status == "queued" and clip.enqueued_at is None
    assert lifecycle.reap().resent == []  # still down: nothing sent, nothing lost
    sent: list[int] = []
    monkeypatch.setattr(builder.tasks.build_clip, "apply_async", lambda args, **_: sent.append(args[0]))
    assert lifecycle.reap().resent == [clip.pk]
    clip.refresh_from_db()
    assert sent == [clip.pk] and clip.enqueued_at is not None
    assert lifecycle.reap().resent == []  # sent recently: not again


def test_an_airing_counts_only_when_it_played_a_ready_attempt_whole(persona):
    clip, _ = building(persona)
    started = timezone.now()
    assert lifecycle.airing_started(clip_id=clip.pk, attempt=1)
    # The build broke off and was released while its start was on air: not counted.
    lifecycle.release(clip_id=clip.pk, attempt=1, reason="LLM dropped")
    assert not lifecycle.aired(clip_id=clip.pk, attempt=1, started_at=started)
    assert status_of(clip) == ("queued", "approved") and clip.aired_count == 0 and clip.on_air_since is None
    lifecycle.claim(clip_id=clip.pk, worker="w1")
    lifecycle.finish(clip_id=clip.pk, attempt=2, duration=3.0)
    assert status_of(clip) == ("ready", "ready")
    assert lifecycle.airing_started(clip_id=clip.pk, attempt=2)
    assert not lifecycle.airing_started(clip_id=clip.pk, attempt=1)
    assert lifecycle.aired(clip_id=clip.pk, attempt=2, started_at=started)
    assert status_of(clip) == ("ready", "aired")
    assert clip.aired_count == 1 and clip.first_aired_at == started


def test_a_skipped_airing_of_a_building_clip_counts(persona):
    clip, _ = building(persona)
    assert lifecycle.aired(clip_id=clip.pk, attempt=1, started_at=timezone.now(), skipped=True)
    lifecycle.finish(clip_id=clip.pk, attempt=1, duration=1.0)
    assert status_of(clip) == ("ready", "aired")


def test_a_cancel_fails_the_question_with_who_cancelled(persona, moderator):
    clip, _ = building(persona)
    lifecycle.record_segment(clip_id=clip.pk, attempt=1, index=0, media="a", duration=1.0, text="x")
    clip_cancel(clip=clip, by=moderator)
    assert status_of(clip) == ("cancelled", "failed")
    assert Question.objects.get(pk=clip.question_id).status_reason == "build cancelled by mod"
    assert not clip.segments.exists()
    assert not lifecycle.progress(clip_id=clip.pk, attempt=1, state={})


def test_only_the_newest_clip_of_a_retried_question_moves_the_question(persona, moderator):
    clip, _ = building(persona)
    lifecycle.fail(clip_id=clip.pk, attempt=1, reason="voice crashed")
    retry = clip_retry(question=Question.objects.get(pk=clip.question_id), by=moderator)
    assert status_of(retry) == ("queued", "approved")
    lifecycle.airing_abandoned(clip_id=clip.pk)  # a late report about the old clip changes nothing
    assert not lifecycle.fail(clip_id=clip.pk, attempt=None, reason="again")
    assert Question.objects.get(pk=clip.question_id).status == "approved"


def test_soft_delete_keeps_who_and_why(persona, moderator):
    clip = approved(persona)
    clip.soft_delete(by=moderator, reason="duplicate")
    clip.refresh_from_db()
    assert (clip.deleted_by, clip.delete_reason) == (moderator, "duplicate")
