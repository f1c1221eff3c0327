"""On-air buttons queue commands for the running streamer through the real Redis."""

import pytest
from django.utils import timezone

from aijesus.studio.models import Clip
from aijesus.studio.services import question_approve, question_submit
from streamer import control

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_control_list():
    client = control.redis_client()
    client.delete(control.control_key())
    yield client
    client.delete(control.control_key())


@pytest.mark.parametrize("command", ["skip", "pause", "resume"])
def test_a_moderator_sends_a_stream_command(client, moderator, empty_control_list, command):
    client.force_login(moderator)
    assert client.post(f"/stream/{command}").json() == {"ok": True}
    assert control.receive(empty_control_list) == [{"command": command}]


def test_an_unknown_command_is_refused(client, moderator, empty_control_list):
    client.force_login(moderator)
    assert client.post("/stream/explode").status_code == 404
    assert control.receive(empty_control_list) == []


def test_only_a_ready_clip_can_be_re_aired(
    client, moderator, persona, empty_control_list, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        clip = question_approve(question=question_submit(text="Why?", viewer_name="x"))
    client.force_login(moderator)
    response = client.post(f"/clips/{clip.pk}/reair")
    assert response.status_code == 409 and "is queued, not ready" in response.json()["error"]
    Clip.objects.filter(pk=clip.pk).update(status="ready")
    assert client.post(f"/clips/{clip.pk}/reair").json() == {"ok": True}
    assert control.receive(empty_control_list) == [{"command": "reair", "clip": clip.pk}]
    # The disk budget removed its files: nothing left to air, and the moderator is told why.
    Clip.objects.filter(pk=clip.pk).update(media_removed_at=timezone.now())
    response = client.post(f"/clips/{clip.pk}/reair")
    assert response.status_code == 409 and "media was removed" in response.json()["error"]
    assert control.receive(empty_control_list) == []
