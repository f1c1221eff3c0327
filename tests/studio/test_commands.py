import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from aijesus.studio.models import Clip, Persona, Question
from aijesus.studio.roles import is_moderator, is_owner

pytestmark = pytest.mark.django_db


def test_ask_queues_a_question_as_chat_would(capsys):
    call_command("ask", "What is love?", "--user", "frank")
    question = Question.objects.get()
    assert (question.text, question.viewer_name, question.status) == ("What is love?", "frank", "pending")
    assert f"question #{question.pk} from frank is pending" in capsys.readouterr().out


def test_ask_with_approve_queues_a_clip(persona, capsys, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        call_command("ask", "What is forgiveness?", "--approve")
    question = Question.objects.get()
    assert question.status == "approved"
    assert Clip.objects.get().question == question
    assert "approved; clip" in capsys.readouterr().out


def test_ask_explains_why_it_refuses():
    with pytest.raises(CommandError, match="the question is empty"):
        call_command("ask", "   ")


def test_approving_without_an_active_persona_is_a_clear_error():
    with pytest.raises(CommandError, match="no persona is active"):
        call_command("ask", "Hello?", "--approve")
    # The question is kept (pending), not lost.
    assert Question.objects.get().status == "pending"


def test_seed_creates_the_defaults_and_prints_the_login_once(capsys):
    call_command("seed")
    first = capsys.readouterr().out
    assert "Owner login created — username: owner  password: " in first
    password = first.split("password: ")[1].split()[0]
    user = get_user_model().objects.get(username="owner")
    assert user.check_password(password) and is_owner(user) and is_moderator(user)
    assert Persona.objects.active().name == "Jesus"
    assert Persona.objects.active().latest_version().number == 1

    call_command("seed")
    assert "password" not in capsys.readouterr().out
    assert Persona.objects.count() == 1
