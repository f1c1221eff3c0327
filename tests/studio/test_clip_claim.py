import threading

import pytest
from django.db import connection

from aijesus.studio.models import Clip, IllegalTransition
from aijesus.studio.services import question_approve, question_submit


def approved_clip(persona) -> Clip:
    question = question_submit(text="Who are you?", viewer_name="carol")
    return question_approve(question=question)


@pytest.mark.django_db
def test_approval_queues_a_clip_with_the_active_persona_version(persona, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        clip = approved_clip(persona)
    assert clip.status == "queued"
    assert clip.persona_version == persona.latest_version()
    assert callbacks, "the build must be enqueued once the approval commits"


@pytest.mark.django_db
def test_clip_transitions_are_checked(persona):
    clip = approved_clip(persona)
    with pytest.raises(IllegalTransition, match="cannot go from 'queued' to 'ready'"):
        clip.mark_ready()
    assert clip.claim(worker="w1")
    clip.fail(reason="voice engine crashed")
    clip.requeue()
    assert Clip.objects.get(pk=clip.pk).status == "queued"


@pytest.mark.django_db
def test_a_second_claim_of_the_same_clip_fails(persona):
    clip = approved_clip(persona)
    stale = Clip.objects.get(pk=clip.pk)
    assert clip.claim(worker="w1") is True
    assert stale.claim(worker="w2") is False
    assert Clip.objects.get(pk=clip.pk).claimed_by == "w1"


@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_from_two_threads_let_exactly_one_win(persona):
    clip = approved_clip(persona)
    barrier = threading.Barrier(8)
    results: list[bool] = []

    def worker(name: str) -> None:
        mine = Clip.objects.get(pk=clip.pk)
        barrier.wait()
        results.append(mine.claim(worker=name))
        connection.close()

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results) == [False] * 7 + [True]
    assert Clip.objects.get(pk=clip.pk).status == "building"


@pytest.mark.django_db
def test_airing_counts_and_soft_delete_keeps_who_and_why(persona, moderator):
    clip = approved_clip(persona)
    clip.record_aired()
    clip.record_aired()
    clip.soft_delete(by=moderator, reason="duplicate")
    clip.refresh_from_db()
    assert clip.aired_count == 2 and clip.last_aired_at is not None
    assert (clip.deleted_by, clip.delete_reason) == (moderator, "duplicate")
