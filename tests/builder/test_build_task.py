"""build_clip through a real Celery worker on the gpu queue (broker = the real Redis)."""

import os

import pytest

from aijesus.studio.models import Clip, Question
from aijesus.studio.services import question_approve, question_submit
from builder.services import NO_PIPELINE, clip_build
from tests.builder.worker import celery_worker, wait_for


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_an_approved_question_is_built_by_a_worker_on_the_gpu_queue(persona, redis_url, tmp_path):
    log = tmp_path / "worker.log"
    # Only the gpu queue: if routing sent build_clip anywhere else, nothing would pick it up.
    with celery_worker(redis_url, "gpu", log):
        question = question_submit(text="What is forgiveness?", viewer_name="hal")
        clip = question_approve(question=question)

        def finished() -> bool:
            clip.refresh_from_db()
            return clip.status not in {"queued", "building"}

        wait_for(finished, 60, "the worker to build the clip", log)

    # Claimed by the worker process ("host:pid"), not by this test process.
    assert clip.claimed_by and not clip.claimed_by.endswith(f":{os.getpid()}")
    # No pipeline is installed yet: the failure says so, and the question is kept with the reason.
    assert (clip.status, clip.error) == ("failed", NO_PIPELINE)
    question.refresh_from_db()
    assert question.status == "failed"
    assert question.status_reason == f"clip build failed: {NO_PIPELINE}"
    assert "builder.tasks.build_clip" in log.read_text()


@pytest.mark.django_db
def test_building_the_same_clip_twice_does_nothing_the_second_time(
    persona, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        clip = question_approve(question=question_submit(text="Why?", viewer_name="ivy"))
    assert clip_build(clip_id=clip.pk) == "failed"
    assert clip_build(clip_id=clip.pk) == "failed"
    assert Clip.objects.count() == 1
    assert Question.objects.get().status == "failed"


@pytest.mark.django_db
def test_a_task_for_a_clip_that_does_not_exist_is_a_no_op():
    assert clip_build(clip_id=424242) == "missing"
