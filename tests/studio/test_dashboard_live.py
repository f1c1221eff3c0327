"""The live path: a question created anywhere shows up in an open dashboard, through Redis; the
streamer's state reaches it as small "stream" messages that never rebuild the queue."""

import asyncio

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.core.management import call_command

from aijesus.studio import lifecycle
from aijesus.studio.models import Clip, Question
from aijesus.studio.services import question_approve, question_submit
from streamer import control
from streamer.state import StatePublisher
from tests.studio.ws import dashboard_socket, session_cookie

pytestmark = pytest.mark.django_db(transaction=True)


async def next_snapshot_where(communicator, predicate, timeout: float = 5.0) -> dict:
    """Snapshots may coalesce; wait for the first one showing the expected state."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        message = await communicator.receive_json_from(timeout=max(0.01, deadline - loop.time()))
        assert message["type"] == "snapshot"
        if predicate(message):
            return message


def pending_texts(snapshot: dict) -> list[str]:
    return [q["text"] for q in snapshot["pending"]]


def stream_state(*, now_playing: dict | None = None, on_air: bool = True, paused: bool = False) -> dict:
    """A state shaped like the streamer's (streamer/runner.py), JSON-native so it compares equal."""
    return {
        "on_air": on_air,
        "output": "preview",
        "paused": paused,
        "now_playing": now_playing,
        "queue": [{"clip": 7, "kind": "new", "question": "Next?", "viewer": "sam"}],
        "health": {"fps": 29.8, "target_fps": 30, "encoder_speed": 1.02, "reconnects": 0, "underruns": 0},
        "updated_at": 1700000000.5,
    }


ON_AIR = {"clip": 3, "question": "What is mercy?", "viewer": "ruth", "elapsed": 3.0, "remaining": 7.0}


@pytest.fixture
def no_streamer():
    """No state left in Redis by an earlier test."""
    client = control.redis_client()
    client.delete(control.state_key())
    yield client
    client.delete(control.state_key())


def test_a_question_asked_on_the_command_line_appears_without_reload(moderator, persona):
    async def scenario():
        communicator = dashboard_socket(await sync_to_async(session_cookie)(moderator))
        connected, _ = await communicator.connect()
        assert connected
        first = await communicator.receive_json_from(timeout=5)
        assert first["persona"] == "Jesus" and first["pending"] == []

        await sync_to_async(call_command)("ask", "Hello?", "--user", "dora")
        snapshot = await next_snapshot_where(communicator, lambda s: "Hello?" in pending_texts(s))
        row = snapshot["pending"][0]
        assert (row["viewer"], row["status"], row["source"]) == ("dora", "pending", "manual")
        assert snapshot["counts"]["pending"] == 1
        await communicator.disconnect()

    async_to_sync(scenario)()


def test_approval_by_another_moderator_moves_the_question_out_of_pending(client, moderator, persona):
    question = Question.objects.create(viewer_name="eve", text="Why?", original_text="Why?")

    async def scenario():
        communicator = dashboard_socket(await sync_to_async(session_cookie)(moderator))
        await communicator.connect()
        first = await communicator.receive_json_from(timeout=5)
        assert pending_texts(first) == ["Why?"]

        await sync_to_async(client.force_login)(moderator)
        response = await sync_to_async(client.post)(f"/questions/{question.pk}/approve")
        assert response.status_code == 200
        snapshot = await next_snapshot_where(communicator, lambda s: s["pending"] == [])
        assert snapshot["in_progress"][0]["status"] == "approved"
        assert snapshot["in_progress"][0]["moderated_by"] == "mod"
        await communicator.disconnect()

    async_to_sync(scenario)()


def test_hostile_text_is_sent_as_data(moderator, persona):
    hostile = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
    Question.objects.create(viewer_name="<b>mallory</b>", text=hostile, original_text=hostile)

    async def scenario():
        communicator = dashboard_socket(await sync_to_async(session_cookie)(moderator))
        await communicator.connect()
        snapshot = await communicator.receive_json_from(timeout=5)
        await communicator.disconnect()
        return snapshot

    snapshot = async_to_sync(scenario)()
    # Exactly the text, as JSON data; the page assigns it with textContent (never innerHTML).
    assert snapshot["pending"][0]["text"] == hostile
    assert snapshot["pending"][0]["viewer"] == "<b>mallory</b>"


@pytest.mark.django_db
def test_the_snapshot_shows_builds_in_progress_with_their_stage(persona, django_capture_on_commit_callbacks):
    from aijesus.studio.snapshot import studio_snapshot

    with django_capture_on_commit_callbacks(execute=False):
        clip = question_approve(question=question_submit(text="Why?", viewer_name="ivy"))
    assert lifecycle.claim(clip_id=clip.pk, worker="w1")
    Clip.objects.filter(pk=clip.pk).update(progress={"stage": "video", "sentences": 1, "answer": "Because."})
    snapshot = studio_snapshot()
    assert snapshot["pending"] == [] and snapshot["recent"] == []
    (row,) = snapshot["in_progress"]
    assert row["clip"]["progress"]["stage"] == "video" and row["clip"]["progress"]["answer"] == "Because."


@pytest.mark.django_db
def test_the_snapshot_says_a_clip_is_rebuilding_after_its_worker_stopped(
    persona, django_capture_on_commit_callbacks
):
    from aijesus.studio.snapshot import studio_snapshot

    with django_capture_on_commit_callbacks(execute=False):
        clip = question_approve(question=question_submit(text="Why?", viewer_name="ivy"))
        lifecycle.claim(clip_id=clip.pk, worker="gpu-box:4242")
        lifecycle.rebuild(clip_id=clip.pk, attempt=1, why="its worker (gpu-box:4242) stopped")
    (row,) = studio_snapshot()["in_progress"]
    assert row["status"] == "approved" and row["clip"]["status"] == "queued"
    assert row["clip"]["note"] == "rebuilding after its worker (gpu-box:4242) stopped (attempt 2/3)"


def test_a_stream_state_publish_reaches_the_dashboard_as_a_stream_message_without_a_queue_snapshot(
    moderator, persona, no_streamer
):
    playing, paused = stream_state(now_playing=ON_AIR), stream_state(paused=True)

    async def scenario():
        communicator = dashboard_socket(await sync_to_async(session_cookie)(moderator))
        await communicator.connect()
        first = await communicator.receive_json_from(timeout=5)
        assert first["type"] == "snapshot" and first["stream"] is None  # no streamer yet

        publisher = StatePublisher(no_streamer)  # the streamer's own publisher, real Redis
        try:
            publisher.publish(playing)
            # The very next message is the state itself: no snapshot was rebuilt for it.
            assert await communicator.receive_json_from(timeout=5) == {"type": "stream", "stream": playing}

            # A queue change still sends the queue, and only the queue.
            await sync_to_async(question_submit)(text="Still there?", viewer_name="flo")
            snapshot = await communicator.receive_json_from(timeout=5)
            assert snapshot["type"] == "snapshot" and pending_texts(snapshot) == ["Still there?"]
            assert "stream" not in snapshot

            publisher.publish(paused)
            assert await communicator.receive_json_from(timeout=5) == {"type": "stream", "stream": paused}
        finally:
            await sync_to_async(publisher.close)()
        await communicator.disconnect()

    async_to_sync(scenario)()


def test_a_dashboard_that_connects_gets_the_stream_state_in_its_first_snapshot(
    moderator, persona, no_streamer
):
    playing = stream_state(now_playing=ON_AIR)
    publisher = StatePublisher(no_streamer, notify=lambda state: None)  # Redis only: nobody listens yet
    publisher.publish(playing)
    publisher.close()

    async def scenario():
        communicator = dashboard_socket(await sync_to_async(session_cookie)(moderator))
        await communicator.connect()
        first = await communicator.receive_json_from(timeout=5)
        await communicator.disconnect()
        return first

    first = async_to_sync(scenario)()
    assert first["type"] == "snapshot" and first["stream"] == playing
    assert first["persona"] == "Jesus" and first["pending"] == []


def test_the_streamers_last_word_when_it_stops_reaches_the_dashboard(moderator, persona, no_streamer):
    async def scenario():
        communicator = dashboard_socket(await sync_to_async(session_cookie)(moderator))
        await communicator.connect()
        await communicator.receive_json_from(timeout=5)
        publisher = StatePublisher(no_streamer)
        # close() publishes the final state and waits for its notice to go before it returns.
        await sync_to_async(publisher.close)(stream_state(on_air=False))
        message = await communicator.receive_json_from(timeout=5)
        await communicator.disconnect()
        return message

    message = async_to_sync(scenario)()
    assert message["type"] == "stream" and message["stream"]["on_air"] is False
