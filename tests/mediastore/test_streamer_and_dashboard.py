"""The media store seen by the streamer and the dashboard: a segment is fetched before it airs; a
store away means "not yet" (idle frames, no cut); a segment gone from the store sends the clip
back to be built again, with the reason; an avatar upload the store cannot take is not kept half-way."""

from __future__ import annotations

import pytest

from aijesus.studio import lifecycle
from aijesus.studio.models import Clip
from aijesus.studio.services import question_approve, question_submit
from streamer.playout import Playout, SegmentLost, SegmentNotHere
from tests.mediastore.s3server import s3_server
from tests.streamer.helpers import appearing_together

pytestmark = pytest.mark.django_db


@pytest.fixture
def s3(settings, tmp_path):
    with s3_server() as server:
        for name, value in server.env().items():
            setattr(settings, name, value)
        settings.MEDIA_STORE_TIMEOUT = 1.0
        settings.MEDIA_ROOT = tmp_path / "home"
        yield server


def building_clip(persona, media: str) -> Clip:
    """A clip being built elsewhere, whose first segment's row names `media`."""
    with appearing_together():
        clip = question_approve(question=question_submit(text="What is hope?", viewer_name="ivy"))
    claim = lifecycle.claim(clip_id=clip.pk, worker="gpu-box:1")
    lifecycle.record_segment(
        clip_id=clip.pk, attempt=claim.attempt, index=0, media=media, duration=1.0, text="", kind="speech"
    )
    return clip


def test_a_segment_is_fetched_before_it_airs(persona, s3, tmp_path):
    clip = building_clip(persona, "clips/1/attempt-1/seg-000.wav")
    client = s3.client()
    for name, body in (("seg-000.wav", b"RIFF"), ("seg-000.json", b"{}")):
        client.put_object(Bucket=s3.bucket, Key=f"studio/clips/1/attempt-1/{name}", Body=body)
    found = Playout().segment_path(clip.pk, 1, 0)
    assert found is not None and found.path == tmp_path / "home/clips/1/attempt-1/seg-000.wav"
    assert found.path.read_bytes() == b"RIFF" and found.path.with_suffix(".json").read_bytes() == b"{}"


def test_a_store_away_is_not_yet_and_a_missing_segment_builds_the_clip_again(persona, s3):
    clip = building_clip(persona, "clips/2/attempt-1/seg-000.wav")
    s3.stop()
    with pytest.raises(SegmentNotHere, match="cannot be reached"):
        Playout().segment_path(clip.pk, 1, 0)
    assert Clip.objects.get(pk=clip.pk).status == "building"  # nothing decided while it is away

    s3.start()
    with pytest.raises(SegmentLost) as lost:  # the store answers: it has no such object
        Playout().segment_path(clip.pk, 1, 0)
    assert str(lost.value).startswith("segment 1 cannot be aired: clips/2/attempt-1/seg-000.wav is not in")
    lifecycle.media_broken(clip_id=clip.pk, attempt=1, reason=str(lost.value))  # the playout's report
    again = Clip.objects.select_related("question").get(pk=clip.pk)
    assert again.status == "queued" and again.note.startswith("rebuilding: segment 1 cannot be aired")
    assert again.question.status == "approved" and "cannot be aired" in again.question.status_reason


def test_an_avatar_the_store_cannot_take_is_not_kept(s3, client, moderator, settings):
    from aijesus.studio.models import Avatar
    from tests.studio.test_avatars_views import files_under, sprite_zip, upload

    settings.MEDIA_STORE_RETRY_SECONDS = 0
    client.force_login(moderator)
    s3.stop()
    response = upload(client, "Painted", "painted.zip", sprite_zip())
    assert response.status_code == 503
    assert "Nothing was saved: the media store" in response.content.decode()
    assert not Avatar.objects.exists() and files_under(settings.MEDIA_ROOT / "avatars") == []

    s3.start()
    assert upload(client, "Painted", "painted.zip", sprite_zip()).status_code == 302
    avatar = Avatar.objects.get(name="Painted")
    assert s3.objects(f"studio/{avatar.source.name}") == [f"studio/{avatar.source.name}"]
