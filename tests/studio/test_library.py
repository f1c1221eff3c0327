"""The clip library: search, moderator-only media with HTTP ranges, delete with a reason."""

import datetime as dt
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import av
import pytest
from django.db import transaction
from django.test import Client, override_settings
from django.utils import timezone

from aijesus.studio.models import Clip, ModeratorAction
from aijesus.studio.seed import seed_studio
from aijesus.studio.services import question_approve, question_submit
from builder.library import clip_render_library
from builder.services import clip_build

pytestmark = pytest.mark.django_db
SMALL = {"STREAM_WIDTH": 320, "STREAM_HEIGHT": 180, "STREAM_FPS": 25}


@pytest.fixture(scope="module")
def built_clip(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[tuple[int, Path]]:
    """A clip really built (small frames) from a viewer's question, once for the module: building
    it took most of these tests' time. Built inside a transaction that the module's tests run
    within, each in a savepoint of its own that is rolled back after it (as Django's TestCase
    keeps its setUpTestData), and that is itself rolled back after the last one."""
    media = tmp_path_factory.mktemp("library") / "media"
    outer = transaction.atomic()
    outer._from_testcase = True  # as TestCase marks its own: the code under test nests in it
    with django_db_blocker.unblock():
        outer.__enter__()
        try:
            with override_settings(MEDIA_ROOT=media, **SMALL):
                clip_id = build_a_clip()
        except BaseException:
            outer.__exit__(*sys.exc_info())
            raise
    yield clip_id, media
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)


def build_a_clip() -> int:
    seed_studio(owner="seed-owner")
    # No build task is sent: nothing here commits, so no on-commit callback runs.
    clip = question_approve(question=question_submit(text="What is forgiveness?", viewer_name="ivy"))
    assert clip_build(clip_id=clip.pk) == "ready"
    # The library's MP4 (made by its own low-priority task after the build).
    assert clip_render_library(clip_id=clip.pk, attempt=1) == "done"
    return clip.pk


@pytest.fixture
def ready_clip(built_clip, settings, tmp_path) -> Clip:
    """The module's built clip, with its media copied into this test's own MEDIA_ROOT: a test may
    change or remove files, and a path just outside MEDIA_ROOT is this test's tmp_path."""
    pk, media = built_clip
    settings.MEDIA_ROOT = tmp_path / "media"
    for name, value in SMALL.items():
        setattr(settings, name, value)
    shutil.copytree(media, settings.MEDIA_ROOT, symlinks=True)
    return Clip.objects.get(pk=pk)


def other_clip(ready_clip: Clip, *, text: str, viewer: str, days_ago: int = 0) -> Clip:
    """A second library entry sharing the first one's files (enough for search tests)."""
    question = question_submit(text=text, viewer_name=viewer)
    clip = Clip.objects.create(
        question=question,
        persona_version=ready_clip.persona_version,
        status=Clip.Status.READY,
        answer_text="An answer about " + text,
        video=ready_clip.video.name,
        duration=1.0,
    )
    Clip.objects.filter(pk=clip.pk).update(created_at=timezone.now() - dt.timedelta(days=days_ago))
    return clip


def listed(client, **params) -> list[int]:
    response = client.get("/clips/", params)
    assert response.status_code == 200
    return [clip.pk for clip in response.context["page"]]


@pytest.mark.slow
def test_search_by_text_viewer_date_and_persona(client, moderator, ready_clip):
    old = other_clip(ready_clip, text="Who was Peter?", viewer="zed", days_ago=10)
    client.force_login(moderator)
    assert listed(client) == [ready_clip.pk, old.pk]
    assert listed(client, q="forgiveness") == [ready_clip.pk]
    assert listed(client, q="PETER") == [old.pk]  # question or answer, any case
    assert listed(client, viewer="ze") == [old.pk]
    today = timezone.localdate()
    assert listed(client, since=str(today - dt.timedelta(days=1))) == [ready_clip.pk]
    assert listed(client, until=str(today - dt.timedelta(days=5))) == [old.pk]
    assert listed(client, since="not a date") == [ready_clip.pk, old.pk]
    persona_id = ready_clip.persona_version.persona_id
    assert listed(client, persona=str(persona_id)) == [ready_clip.pk, old.pk]
    assert listed(client, persona=str(persona_id + 100)) == []


@pytest.mark.slow
def test_the_library_page_plays_the_clip_with_subtitles_and_escapes_chat(client, moderator, ready_clip):
    other_clip(ready_clip, text="<script>alert(1)</script>", viewer="<b>x</b>")
    client.force_login(moderator)
    html = client.get("/clips/").content.decode()
    assert f'src="/clips/{ready_clip.pk}/video"' in html
    assert f'src="/clips/{ready_clip.pk}/subtitles"' in html and "<track" in html
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>x</b>" not in html


@pytest.mark.slow
def test_media_is_served_whole_and_by_range(client, moderator, ready_clip):
    client.force_login(moderator)
    whole = client.get(f"/clips/{ready_clip.pk}/video")
    assert whole.status_code == 200 and whole["Content-Type"] == "video/mp4"
    body = b"".join(whole.streaming_content)
    assert body == ready_clip.video.read() and whole["Accept-Ranges"] == "bytes"
    part = client.get(f"/clips/{ready_clip.pk}/video", headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == body[100:200]
    assert part["Content-Range"] == f"bytes 100-199/{len(body)}"
    tail = client.get(f"/clips/{ready_clip.pk}/video", headers={"Range": "bytes=-50"})
    assert tail.content == body[-50:]
    beyond = client.get(f"/clips/{ready_clip.pk}/video", headers={"Range": f"bytes={len(body)}-"})
    assert beyond.status_code == 416
    vtt = client.get(f"/clips/{ready_clip.pk}/subtitles")
    assert b"".join(vtt.streaming_content).startswith(b"WEBVTT")
    thumb = client.get(f"/clips/{ready_clip.pk}/thumbnail")
    assert b"".join(thumb.streaming_content)[:2] == b"\xff\xd8"
    assert client.get(f"/clips/{ready_clip.pk}/audio").status_code == 404  # not a served kind


@pytest.mark.slow
def test_the_served_video_decodes(client, moderator, ready_clip, tmp_path):
    client.force_login(moderator)
    path = tmp_path / "got.mp4"
    path.write_bytes(b"".join(client.get(f"/clips/{ready_clip.pk}/video").streaming_content))
    with av.open(str(path)) as container:
        assert container.streams.video[0].width == 320 and container.streams.audio


@pytest.mark.slow
def test_a_path_outside_media_is_never_served(client, moderator, ready_clip, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("stream key")
    Clip.objects.filter(pk=ready_clip.pk).update(subtitles="../secret.txt")
    client.force_login(moderator)
    assert client.get(f"/clips/{ready_clip.pk}/subtitles").status_code == 404


@pytest.mark.slow
def test_delete_asks_then_hides_the_clip_and_records_why(client, moderator, ready_clip):
    client.force_login(moderator)
    page = client.get(f"/clips/{ready_clip.pk}/delete")
    assert page.status_code == 200 and b"Delete clip" in page.content
    refused = client.post(f"/clips/{ready_clip.pk}/delete", {"reason": "  "})
    assert refused.status_code == 400 and b"needs a reason" in refused.content
    assert Clip.objects.get(pk=ready_clip.pk).deleted_at is None
    done = client.post(f"/clips/{ready_clip.pk}/delete", {"reason": "wrong verse quoted"})
    assert done.status_code == 302 and done.url == "/clips/"
    clip = Clip.objects.get(pk=ready_clip.pk)  # kept, hidden
    assert (clip.deleted_by, clip.delete_reason) == (moderator, "wrong verse quoted")
    assert ModeratorAction.objects.filter(kind="delete", clip=clip, detail="wrong verse quoted").exists()
    assert listed(client) == []
    assert client.get(f"/clips/{clip.pk}/video").status_code == 404
    assert client.post(f"/clips/{clip.pk}/reair").status_code == 404


def test_deleting_needs_a_csrf_token(moderator, persona):
    from aijesus.studio.models import Persona

    version = Persona.objects.active().save_version()
    clip = Clip.objects.create(persona_version=version, status=Clip.Status.READY)
    client = Client(enforce_csrf_checks=True)
    client.force_login(moderator)
    assert client.post(f"/clips/{clip.pk}/delete", {"reason": "x"}).status_code == 403
    assert Clip.objects.get(pk=clip.pk).deleted_at is None


def test_the_stream_preview_is_the_streamers_latest_frame(client, moderator, settings, tmp_path):
    from PIL import Image

    from streamer.preview import PREVIEW_FRAME

    settings.MEDIA_ROOT = tmp_path
    client.force_login(moderator)
    assert client.get("/stream/preview.jpg").status_code == 404  # no streamer has run
    (tmp_path / PREVIEW_FRAME).parent.mkdir(parents=True)
    Image.new("RGB", (16, 9), "red").save(tmp_path / PREVIEW_FRAME)
    response = client.get("/stream/preview.jpg")
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"


@pytest.mark.slow
def test_latency_page_charts_approval_to_air(client, moderator, ready_clip):
    Clip.objects.filter(pk=ready_clip.pk).update(
        first_aired_at=ready_clip.created_at + dt.timedelta(seconds=1.5)
    )
    client.force_login(moderator)
    response = client.get("/latency/")
    assert response.status_code == 200
    summary = response.context["summary"]
    assert summary["clips"] == 1 and summary["on_air_median"] == 1.5
    html = response.content.decode()
    assert "<svg" in html and f"clip #{ready_clip.pk}: until on air" in html
    assert client.get("/latency/?n=oops").status_code == 200


def test_the_live_hls_preview_is_served_to_moderators_only(
    client, moderator, viewer_account, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    preview = tmp_path / "preview"
    preview.mkdir()
    playlist = "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\nseg-1700000000.ts\n"
    (preview / "stream.m3u8").write_text(playlist)
    (preview / "seg-1700000000.ts").write_bytes(b"\x47" + bytes(187) * 2)
    (preview / "secret.txt").write_text("not for the player")
    urls = ["/stream/hls/stream.m3u8", "/stream/hls/seg-1700000000.ts"]

    for url in urls:  # anonymous: to the login page; logged in without the role: refused
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith("/login/")
    client.force_login(viewer_account)
    assert [client.get(url).status_code for url in urls] == [403, 403]

    client.force_login(moderator)
    listed = client.get(urls[0])
    assert listed.status_code == 200 and listed["Content-Type"] == "application/vnd.apple.mpegurl"
    assert listed["Cache-Control"] == "no-store"
    assert b"".join(listed.streaming_content).decode() == playlist
    segment = client.get(urls[1])
    assert segment.status_code == 200 and segment["Content-Type"] == "video/mp2t"
    assert b"".join(segment.streaming_content)[:1] == b"\x47"
    ranged = client.get(urls[1], HTTP_RANGE="bytes=0-9")
    assert ranged.status_code == 206 and ranged["Content-Range"] == "bytes 0-9/375"
    assert len(ranged.content) == 10
    # Only the playlist and its segments: nothing else in the folder, nothing outside it.
    for name in ["secret.txt", "seg-1.ts.part", "frame.jpg", "seg-9.ts", "..%2Fsecret.txt"]:
        assert client.get(f"/stream/hls/{name}").status_code == 404, name
