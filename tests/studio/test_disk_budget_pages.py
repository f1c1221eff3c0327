"""The disk budget as moderators meet it: a star in the library (recorded) keeps a clip's media, a
clip whose media went says so instead of offering a player or a re-air, and the System page shows
the clip media against the budget, the free disk and what was removed so far."""

from __future__ import annotations

import pytest
from django.utils import timezone

from aijesus.studio import retention
from aijesus.studio.models import Clip, ModeratorAction
from aijesus.studio.system.disk import disk_check
from aijesus.studio.system.report import OK, WARN
from tests.studio.disk_budget import KB, clip_with_files, has_files, media

__all__ = ["media"]  # a fixture

pytestmark = pytest.mark.django_db


def card(html: str, clip: Clip) -> str:
    """The library card of `clip` in the page."""
    start = html.index(f'id="clip-{clip.pk}"')
    return html[start : html.index("</li>", start)]


def test_a_moderator_stars_and_unstars_a_clip_and_the_log_says_so(client, moderator, persona, media):
    clip = clip_with_files(persona, kb=10, days_ago=1)
    client.force_login(moderator)

    response = client.post(f"/clips/{clip.pk}/star", {"starred": "1", "query": "q=forgive&page=2"})
    assert response.status_code == 302
    assert response["Location"] == f"/clips/?q=forgive&page=2#clip-{clip.pk}"  # back where they were
    clip.refresh_from_db()
    assert clip.starred
    assert "★ starred" in card(client.get("/clips/").content.decode(), clip)

    client.post(f"/clips/{clip.pk}/star", {"starred": "0"})
    clip.refresh_from_db()
    assert not clip.starred
    log = ModeratorAction.objects.filter(kind="star", clip=clip).order_by("at")
    assert [(a.user, a.detail) for a in log] == [(moderator, "starred"), (moderator, "unstarred")]


def test_a_starred_clip_keeps_its_media_past_the_budget(client, moderator, persona, media, settings):
    kept = clip_with_files(persona, kb=100, days_ago=30)
    client.force_login(moderator)
    client.post(f"/clips/{kept.pk}/star", {"starred": "1"})
    settings.MEDIA_MAX_GB = 1 / retention.GB  # a byte: everything unstarred would go
    assert retention.sweep().removed == []
    assert has_files(kept)


def test_starring_is_for_moderators_only_and_by_post(client, viewer_account, moderator, persona, media):
    clip = clip_with_files(persona, kb=10, days_ago=1)
    client.force_login(viewer_account)
    assert client.post(f"/clips/{clip.pk}/star", {"starred": "1"}).status_code == 403
    client.force_login(moderator)
    assert client.get(f"/clips/{clip.pk}/star").status_code == 405
    clip.refresh_from_db()
    assert not clip.starred and not ModeratorAction.objects.filter(kind="star").exists()


def test_a_clip_whose_media_went_shows_media_removed_and_no_player_or_re_air(
    client, moderator, persona, media
):
    gone = clip_with_files(persona, kb=10, days_ago=3)
    here = clip_with_files(persona, kb=10, days_ago=1)
    Clip.objects.filter(pk=gone.pk).update(media_removed_at=timezone.now())
    client.force_login(moderator)

    html = client.get("/clips/").content.decode()

    removed, playable = card(html, gone), card(html, here)
    assert "Media removed" in removed and "<video" not in removed
    assert "Re-air" not in removed and "Download" not in removed
    assert "Media removed" not in playable and "<video" in playable and "Re-air" in playable


def test_the_system_row_shows_use_against_the_budget(persona, media, settings, admin_client):
    settings.MEDIA_MAX_GB = 1.0
    before = disk_check()
    assert before.key == "disk" and before.value.startswith("not measured yet; 1 GB budget")
    assert "free of" in before.detail and "media of 0 clip(s) removed so far" in before.detail

    clip_with_files(persona, kb=100, days_ago=3)
    clip_with_files(persona, kb=300, days_ago=2)
    settings.MEDIA_MAX_GB = 350 * KB / retention.GB
    retention.sweep()

    row = disk_check()
    assert row.value == "0 MB of 0 MB (86%)"  # 300 KiB of 350 KiB
    assert "media of 1 clip(s) removed so far" in row.detail and "measured" in row.detail
    settings.SYSTEM_CHECK_TIMEOUT = 0.2  # no worker answers here: do not wait for one
    page = admin_client.get("/system/").content.decode()
    assert 'id="check-disk"' in page and "Disk budget" in page


def test_a_pass_that_cannot_get_under_budget_asks_for_a_look(persona, media, settings):
    clip_with_files(persona, kb=100, days_ago=3, starred=True)
    settings.MEDIA_MAX_GB = 10 * KB / retention.GB
    retention.sweep()
    row = disk_check()
    assert row.status == WARN and "over budget" in row.detail and "MEDIA_MAX_GB" in row.fix
    settings.MEDIA_MAX_GB = 0
    assert disk_check().status in (OK, WARN)  # WARN only if this machine's disk is nearly full
    assert "no budget (MEDIA_MAX_GB=0)" in disk_check().value
