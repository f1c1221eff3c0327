"""Edit, bump, bulk reject, retry, cancel: each one POST, recorded with who and when."""

import pytest
from django.test import Client

from aijesus.studio.models import Clip, ModeratorAction, Question
from aijesus.studio.services import question_approve, question_submit

pytestmark = pytest.mark.django_db


def ask(text: str, viewer: str = "gina") -> Question:
    return question_submit(text=text, viewer_name=viewer)


def test_an_edited_approval_is_recorded_with_the_original_text(client, moderator, persona):
    question = ask("wat is grace??")
    client.force_login(moderator)
    response = client.post(f"/questions/{question.pk}/approve", {"text": "  What is grace?  "})
    assert response.status_code == 200
    question.refresh_from_db()
    assert (question.text, question.original_text) == ("What is grace?", "wat is grace??")
    kinds = {a.kind: a for a in ModeratorAction.objects.filter(question=question)}
    assert set(kinds) == {"edit", "approve"}
    assert kinds["edit"].detail == "was: wat is grace??" and kinds["edit"].user == moderator
    assert kinds["approve"].clip == Clip.objects.get(question=question)


def test_an_edit_to_nothing_is_refused_and_changes_nothing(client, moderator, persona):
    question = ask("Why?")
    client.force_login(moderator)
    response = client.post(f"/questions/{question.pk}/approve", {"text": "   \u200b  "})
    assert response.status_code == 409 and "empty" in response.json()["error"]
    assert Question.objects.get(pk=question.pk).status == "pending"
    assert not Clip.objects.exists()


def test_bump_raises_priority_and_explains_it(client, moderator, settings):
    settings.DASHBOARD_BUMP_STEP = 10.0
    question = ask("Why?")
    client.force_login(moderator)
    assert client.post(f"/questions/{question.pk}/bump").json() == {"ok": True, "priority": 10.0}
    assert client.post(f"/questions/{question.pk}/bump", {"amount": "2.5"}).json()["priority"] == 12.5
    question.refresh_from_db()
    assert question.priority_reason == "+10 bumped by mod; +2.5 bumped by mod"
    assert ModeratorAction.objects.filter(kind="bump", question=question).count() == 2


@pytest.mark.parametrize("amount", ["lots", "-5", "0", "100000"])
def test_bump_refuses_odd_amounts(client, moderator, amount):
    question = ask("Why?")
    client.force_login(moderator)
    response = client.post(f"/questions/{question.pk}/bump", {"amount": amount})
    assert response.status_code == 400
    assert Question.objects.get(pk=question.pk).priority == 0


def test_only_pending_questions_can_be_bumped(client, moderator):
    question = ask("Why?")
    question.reject(by=moderator, reason="spam")
    client.force_login(moderator)
    response = client.post(f"/questions/{question.pk}/bump")
    assert response.status_code == 409 and "only pending" in response.json()["error"]


def test_bulk_reject_rejects_the_pending_ones_and_says_which_moved_on(client, moderator, persona):
    a, b, c = ask("one?"), ask("two?"), ask("three?")
    question_approve(question=c, by=moderator)
    client.force_login(moderator)
    response = client.post(
        "/questions/bulk-reject", {"ids": [a.pk, b.pk, c.pk, 999999], "reason": "flood"}
    ).json()
    assert response["ok"] and sorted(response["rejected"]) == [a.pk, b.pk]
    assert set(response["refused"]) == {str(c.pk), "999999"}
    assert "approved" in response["refused"][str(c.pk)]
    statuses = dict(Question.objects.values_list("pk", "status"))
    assert statuses == {a.pk: "rejected", b.pk: "rejected", c.pk: "approved"}
    assert ModeratorAction.objects.filter(kind="reject", detail="flood").count() == 2


def test_bulk_reject_needs_ids(client, moderator):
    client.force_login(moderator)
    assert client.post("/questions/bulk-reject", {"reason": "x"}).status_code == 400
    assert client.post("/questions/bulk-reject", {"ids": ["x"]}).status_code == 400


def test_cancel_then_retry(client, moderator, persona, django_capture_on_commit_callbacks, monkeypatch):
    queued: list[int] = []
    monkeypatch.setattr("aijesus.studio.lifecycle.send", queued.append)
    question = ask("Why?")
    client.force_login(moderator)
    with django_capture_on_commit_callbacks(execute=False):
        clip = question_approve(question=question, by=moderator)
    assert client.post(f"/clips/{clip.pk}/cancel").json() == {"ok": True, "status": "cancelled"}
    question.refresh_from_db()
    assert (question.status, question.status_reason) == ("failed", "build cancelled by mod")
    # A second cancel (another moderator) is told why not.
    again = client.post(f"/clips/{clip.pk}/cancel")
    assert again.status_code == 409 and "cancelled" in again.json()["error"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/questions/{question.pk}/retry")
    assert response.status_code == 200 and queued == [response.json()["clip"]]  # built after commit
    new_clip = Clip.objects.get(pk=response.json()["clip"])
    assert new_clip.status == "queued" and new_clip.pk != clip.pk
    assert Question.objects.get(pk=question.pk).status == "approved"
    assert list(ModeratorAction.objects.order_by("at").values_list("kind", flat=True)) == [
        "approve",
        "cancel",
        "retry",
    ]


def test_retry_refuses_a_question_that_did_not_fail(client, moderator, persona):
    question = ask("Why?")
    client.force_login(moderator)
    assert client.post(f"/questions/{question.pk}/retry").status_code == 409


@pytest.mark.parametrize(
    "path", ["/questions/{q}/bump", "/questions/bulk-reject", "/questions/{q}/retry", "/clips/{c}/cancel"]
)
def test_every_new_action_needs_a_csrf_token(moderator, persona, path, django_capture_on_commit_callbacks):
    question = ask("Why?")
    with django_capture_on_commit_callbacks(execute=False):
        clip = question_approve(question=ask("And?"), by=moderator)
    client = Client(enforce_csrf_checks=True)
    client.force_login(moderator)
    response = client.post(path.format(q=question.pk, c=clip.pk), {"ids": [question.pk]})
    assert response.status_code == 403
    assert Clip.objects.get(pk=clip.pk).status == "queued"
    assert Question.objects.get(pk=question.pk).priority == 0


def test_stream_commands_are_recorded(client, moderator, redis_url):
    client.force_login(moderator)
    assert client.post("/stream/pause").status_code == 200
    action = ModeratorAction.objects.get()
    assert (action.kind, action.detail, action.user) == ("stream", "pause", moderator)


def test_the_mode_switch_is_recorded_and_reaches_the_snapshot(client, moderator):
    from aijesus.chat.models import ChatSettings
    from aijesus.studio.snapshot import studio_snapshot

    assert studio_snapshot()["mode"] == "hold"
    client.force_login(moderator)
    assert client.post("/mode", {"mode": "auto"}).json() == {"ok": True, "mode": "auto"}
    row = ChatSettings.load()
    assert (row.mode, row.updated_by) == ("auto", moderator)
    assert studio_snapshot()["mode"] == "auto"
    assert ModeratorAction.objects.get(kind="chat").detail == "mode auto"
    assert client.post("/mode", {"mode": "yolo"}).status_code == 400
    assert ChatSettings.load().mode == "auto"


def test_the_mode_switch_needs_a_csrf_token(moderator):
    client = Client(enforce_csrf_checks=True)
    client.force_login(moderator)
    assert client.post("/mode", {"mode": "auto"}).status_code == 403


@pytest.mark.django_db
def test_two_bumps_from_stale_copies_both_count(moderator):
    from aijesus.studio.models import Question
    from aijesus.studio.services import question_bump, question_submit

    question = question_submit(text="Why?", viewer_name="ivy")
    first, second = Question.objects.get(pk=question.pk), Question.objects.get(pk=question.pk)
    question_bump(question=first, by=moderator, amount=10)
    question_bump(question=second, by=moderator, amount=5)  # read before the first bump landed
    question.refresh_from_db()
    assert question.priority == 15
    assert question.priority_reason == "+10 bumped by mod; +5 bumped by mod"
