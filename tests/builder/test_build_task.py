"""build_clip through a real Celery worker on the gpu queue (broker = the real Redis)."""

import os
import socket
import subprocess
import sys

import av
import pytest

from aijesus.studio.models import Clip, Question
from aijesus.studio.services import question_approve, question_submit
from builder.services import clip_build
from tests.builder.worker import celery_worker, wait_for
from tests.sprites import link_studio_cache

SMALL = {"STREAM_WIDTH": "320", "STREAM_HEIGHT": "180", "STREAM_FPS": "25"}


@pytest.fixture
def small_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STREAM_WIDTH, settings.STREAM_HEIGHT, settings.STREAM_FPS = 320, 180, 25
    return settings.MEDIA_ROOT


@pytest.fixture
def queued_clip(persona, small_media, django_capture_on_commit_callbacks) -> Clip:
    """An approved question's clip, queued; its build is run by the test itself."""
    with django_capture_on_commit_callbacks(execute=False):
        return question_approve(question=question_submit(text="Why?", viewer_name="ivy"))


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_an_approved_question_becomes_a_ready_clip_on_a_gpu_queue_worker(
    persona, redis_url, small_media, sprite_cache, tmp_path
):
    log = tmp_path / "worker.log"
    link_studio_cache(small_media, sprite_cache)  # the worker loads the character, not draws it
    # Not the default queue: if routing sent build_clip there, nothing would pick it up. The
    # library's MP4 is made afterwards by its own task on the library queue.
    with celery_worker(redis_url, "gpu,library", log, MEDIA_ROOT=str(small_media), **SMALL):
        question = question_submit(text="What is forgiveness?", viewer_name="hal")
        clip = question_approve(question=question)

        def finished() -> bool:
            clip.refresh_from_db()
            return clip.status not in {"queued", "building"} and (clip.status != "ready" or bool(clip.video))

        wait_for(finished, 90, "the worker to build the clip and its library MP4", log)

    assert clip.status == "ready", clip.error
    # Claimed by the worker process ("host:pid"), not by this test process.
    assert clip.claimed_by and not clip.claimed_by.endswith(f":{os.getpid()}")
    question.refresh_from_db()
    assert question.status == "ready"
    segments = list(clip.segments.order_by("index"))
    assert segments and [s.index for s in segments] == list(range(len(segments)))
    assert {s.kind for s in segments} == {"speech"}  # the drawn character is drawn at air time
    with av.open(clip.video.path) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.width, stream.codec_context.height, stream.average_rate) == (
            320,
            180,
            25,
        )
        assert container.streams.audio
    assert abs(clip.duration - sum(s.duration for s in segments)) < 0.01
    assert clip.subtitles.path.endswith(".vtt") and clip.thumbnail.path.endswith(".jpg")
    assert clip.lipsync_engine == "sprite" and clip.timings["total"] > 0
    assert "forgive" in clip.answer_text.lower()


@pytest.mark.django_db
def test_building_the_same_clip_twice_builds_it_once(queued_clip):
    clip = queued_clip
    assert clip_build(clip_id=clip.pk) == "ready"
    segments = clip.segments.count()
    assert clip_build(clip_id=clip.pk) == "ready"
    assert (Clip.objects.count(), clip.segments.count()) == (1, segments)
    assert Question.objects.get().status == "ready"


@pytest.mark.django_db
def test_a_failing_engine_fails_the_clip_and_keeps_the_question_with_the_reason(queued_clip, monkeypatch):
    from builder.tts.base import TTSError

    def broken(*args, **kwargs):
        raise TTSError("voice 'xx' is not installed")

    monkeypatch.setattr("builder.tts.espeak.EspeakEngine.synthesize", broken)
    clip = queued_clip
    assert clip_build(clip_id=clip.pk) == "failed"
    clip.refresh_from_db()
    assert clip.error == "the voice failed: voice 'xx' is not installed"
    question = Question.objects.get()
    assert (question.status, question.text) == ("failed", "Why?")
    assert question.status_reason == "clip build failed: the voice failed: voice 'xx' is not installed"


@pytest.mark.django_db
def test_a_task_for_a_clip_that_does_not_exist_is_a_no_op():
    assert clip_build(clip_id=424242) == "missing"


@pytest.mark.django_db
def test_the_soft_time_limit_fails_the_clip_and_removes_its_files(queued_clip, small_media, monkeypatch):
    from celery.exceptions import SoftTimeLimitExceeded

    from builder import pipeline

    real_write = pipeline.write_speech

    def slow(*args, **kwargs):
        real_write(*args, **kwargs)  # one segment lands on disk, then time runs out
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr("builder.pipeline.write_speech", slow)
    clip = queued_clip
    assert clip_build(clip_id=clip.pk) == "failed"
    clip.refresh_from_db()
    assert clip.error == "the build took longer than the time limit"
    assert not (small_media / "clips" / str(clip.pk)).exists() and clip.segments.count() == 0


@pytest.mark.django_db
def test_a_task_redelivered_after_its_worker_died_rebuilds_the_clip_at_once(queued_clip):
    from aijesus.studio import lifecycle

    clip = queued_clip
    # A process of this host that no longer exists claimed it (a SIGKILLed pool child).
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    assert lifecycle.claim(clip_id=clip.pk, worker=f"{socket.gethostname()}:{gone.pid}")
    assert clip_build(clip_id=clip.pk) == "ready"
    clip.refresh_from_db()
    assert clip.attempt == 2 and clip.claimed_by.endswith(f":{os.getpid()}")
    assert {s.attempt for s in clip.segments.all()} == {2}


@pytest.mark.django_db
def test_a_task_for_a_clip_another_live_worker_builds_leaves_it_alone(queued_clip):
    from aijesus.studio import lifecycle

    clip = queued_clip
    assert lifecycle.claim(clip_id=clip.pk, worker=f"{socket.gethostname()}:1")  # init: alive
    assert clip_build(clip_id=clip.pk) == "building"
    assert Clip.objects.get(pk=clip.pk).attempt == 1
