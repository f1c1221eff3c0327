import pytest
from django.test import Client

from aijesus.studio.models import Question
from aijesus.studio.services import question_submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def question():
    return question_submit(text="Is it raining in heaven?", viewer_name="gina")


def test_a_moderator_approves_with_an_edited_text(client, moderator, persona, question):
    client.force_login(moderator)
    response = client.post(f"/questions/{question.pk}/approve", {"text": "Does it rain in heaven?"})
    assert response.status_code == 200 and response.json()["status"] == "approved"
    question.refresh_from_db()
    assert question.text == "Does it rain in heaven?" and question.moderated_by == moderator


def test_a_moderator_rejects_with_a_reason(client, moderator, question):
    client.force_login(moderator)
    response = client.post(f"/questions/{question.pk}/reject", {"reason": "silly"})
    assert response.status_code == 200
    question.refresh_from_db()
    assert (question.status, question.status_reason) == ("rejected", "silly")


def test_the_second_moderator_gets_a_clear_message(client, moderator, persona, question):
    client.force_login(moderator)
    client.post(f"/questions/{question.pk}/reject", {"reason": "spam"})
    response = client.post(f"/questions/{question.pk}/approve")
    assert response.status_code == 409
    assert "cannot go from 'rejected' to 'approved'" in response.json()["error"]


def test_actions_need_a_csrf_token(moderator, question):
    client = Client(enforce_csrf_checks=True)
    client.force_login(moderator)
    assert client.post(f"/questions/{question.pk}/reject", {"reason": "x"}).status_code == 403
    assert Question.objects.get(pk=question.pk).status == "pending"


def test_actions_refuse_get(client, moderator, question):
    client.force_login(moderator)
    assert client.get(f"/questions/{question.pk}/approve").status_code == 405


def test_an_unknown_question_is_a_404(client, moderator):
    client.force_login(moderator)
    assert client.post("/questions/999999/approve").status_code == 404
