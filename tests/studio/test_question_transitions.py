import pytest

from aijesus.studio.models import IllegalTransition, Question, StaleState
from aijesus.studio.services import SubmissionError, question_submit

pytestmark = pytest.mark.django_db


def make_question(text: str = "What is forgiveness?") -> Question:
    return question_submit(text=text, viewer_name="alice")


def test_it_approves_a_pending_question_and_records_who(moderator):
    question = make_question()
    question.approve(by=moderator)
    question.refresh_from_db()
    assert question.status == "approved"
    assert question.moderated_by == moderator
    assert question.moderated_at is not None


def test_an_edit_before_approval_keeps_what_the_viewer_sent(moderator):
    question = make_question("wat is forgivness??")
    question.approve(by=moderator, text="What is forgiveness?")
    question.refresh_from_db()
    assert question.text == "What is forgiveness?"
    assert question.original_text == "wat is forgivness??"


def test_a_rejection_keeps_the_row_with_who_and_why(moderator):
    question = make_question()
    question.reject(by=moderator, reason="off topic")
    question.refresh_from_db()
    assert (question.status, question.status_reason, question.moderated_by) == (
        "rejected",
        "off topic",
        moderator,
    )


def test_a_rejection_needs_a_reason(moderator):
    with pytest.raises(ValueError, match="needs a reason"):
        make_question().reject(by=moderator, reason="  ")


def test_illegal_transitions_raise_a_clear_error(moderator):
    question = make_question()
    question.reject(by=moderator, reason="spam")
    with pytest.raises(IllegalTransition, match=r"question \d+: cannot go from 'rejected' to 'approved'"):
        question.approve(by=moderator)
    question.refresh_from_db()
    assert question.status == "rejected"


def test_a_dropped_question_keeps_its_reason_and_can_be_reopened(moderator):
    question = make_question()
    question.drop(reason="queue full: lowest priority evicted")
    question.refresh_from_db()
    assert question.status_reason == "queue full: lowest priority evicted"
    question.reopen(by=moderator)
    assert Question.objects.get(pk=question.pk).status == "pending"


def test_of_two_moderators_acting_at_once_only_one_wins(moderator, django_user_model):
    other = django_user_model.objects.create_user("mod2")
    question = make_question()
    first_view = Question.objects.get(pk=question.pk)
    second_view = Question.objects.get(pk=question.pk)
    first_view.approve(by=moderator)
    with pytest.raises(StaleState, match="is now 'approved' \\(was 'pending'\\): someone else changed it"):
        second_view.reject(by=other, reason="too late")
    question.refresh_from_db()
    assert (question.status, question.moderated_by) == ("approved", moderator)


def test_submission_cleans_invisible_characters_and_keeps_the_original():
    hostile = "Why\u202e is\u200b the sky   blue?\x07"
    question = question_submit(text=hostile, viewer_name="bob\u200d")
    assert question.text == "Why is the sky blue?"
    assert question.original_text == hostile
    assert question.viewer_name == "bob"


def test_submission_refuses_empty_and_overlong_text(settings):
    settings.QUESTION_MAX_CHARS = 50
    with pytest.raises(SubmissionError, match="empty"):
        question_submit(text=" \u200b ", viewer_name="x")
    with pytest.raises(SubmissionError, match="the limit is 50"):
        question_submit(text="a" * 51, viewer_name="x")
    assert Question.objects.count() == 0
