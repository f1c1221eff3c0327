"""The build reports where it is, and stops cleanly when a moderator cancels it."""

from pathlib import Path

import pytest

from aijesus.studio import lifecycle
from aijesus.studio.models import Clip, ModeratorAction, Question
from aijesus.studio.services import clip_cancel, question_approve, question_submit
from builder.services import clip_build

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture
def queued_clip(persona, settings, tmp_path, django_capture_on_commit_callbacks) -> Clip:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STREAM_WIDTH, settings.STREAM_HEIGHT, settings.STREAM_FPS = 320, 180, 25
    with django_capture_on_commit_callbacks(execute=False):
        return question_approve(question=question_submit(text="What is forgiveness?", viewer_name="ivy"))


def test_progress_moves_through_the_stages_and_is_cleared_when_ready(queued_clip, monkeypatch):
    seen: list[dict] = []
    record = lifecycle.progress

    def spy(*, clip_id, attempt, state):
        moved = record(clip_id=clip_id, attempt=attempt, state=state)
        seen.append(Clip.objects.get(pk=clip_id).progress)
        return moved

    monkeypatch.setattr(lifecycle, "progress", spy)
    assert clip_build(clip_id=queued_clip.pk) == "ready"
    stages = [p["stage"] for p in seen]
    assert stages[0] == "answer" and stages[-1] == "join" and "video" in stages
    # The answer grows sentence by sentence while segments follow it.
    answers = [p["answer"] for p in seen]
    assert answers[0] == "" and all(a.startswith(b) for a, b in zip(answers[1:], answers, strict=False))
    assert seen[-1]["segments"] == seen[-1]["sentences"] == queued_clip.segments.count() > 1
    queued_clip.refresh_from_db()
    assert queued_clip.progress == {} and seen[-1]["answer"] == queued_clip.answer_text


def test_a_cancel_during_the_build_stops_it_and_keeps_nothing(queued_clip, moderator, monkeypatch, settings):
    record = lifecycle.record_segment

    def cancel_after_first(**segment):
        recorded = record(**segment)
        clip_cancel(clip=Clip.objects.select_related("question").get(pk=segment["clip_id"]), by=moderator)
        return recorded

    monkeypatch.setattr(lifecycle, "record_segment", cancel_after_first)
    assert clip_build(clip_id=queued_clip.pk) == "cancelled"
    clip = Clip.objects.get(pk=queued_clip.pk)
    assert clip.status == "cancelled" and clip.error == "build cancelled by mod"
    assert clip.segments.count() == 0
    assert not (Path(settings.MEDIA_ROOT) / "clips" / str(clip.pk)).exists()
    question = Question.objects.get()
    assert (question.status, question.status_reason) == ("failed", "build cancelled by mod")
    assert ModeratorAction.objects.filter(kind="cancel", clip=clip, user=moderator).exists()


def test_a_clip_cancelled_before_a_worker_took_it_is_never_built(queued_clip, moderator):
    clip_cancel(clip=queued_clip, by=moderator)
    assert clip_build(clip_id=queued_clip.pk) == "cancelled"
    assert queued_clip.segments.count() == 0
