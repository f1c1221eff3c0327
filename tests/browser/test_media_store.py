"""Clips and avatars through an S3-protocol server (moto's, on 127.0.0.1), in a real browser: an
avatar uploaded in the dashboard is used by a worker whose MEDIA_ROOT is another, empty folder,
and the library plays the clip that worker made. No page or log shows the store's keys."""

from __future__ import annotations

import pytest

from aijesus.studio.models import Avatar, Clip, Persona
from tests.browser.conftest import log_in, running_studio, seeded_with_moderator
from tests.browser.test_dashboard import ask
from tests.builder.worker import wait_until
from tests.mediastore.s3server import ACCESS_KEY, SECRET_KEY, s3_server
from tests.studio.test_avatars_views import sprite_zip

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


@pytest.fixture
def s3():
    with s3_server() as server:
        yield server


def test_a_worker_elsewhere_uses_an_uploaded_avatar_and_the_library_plays_its_clip(
    transactional_db, redis_url, sprite_cache, collected_static, tmp_path, settings, browser, s3
):
    gpu_box = tmp_path / "gpu-box"
    store = s3.env()
    elsewhere = {**store, "MEDIA_ROOT": str(gpu_box)}
    with running_studio(
        tmp_path, settings, redis_url, sprite_cache, collected_static, web_env=store, worker_env=elsewhere
    ) as studio:
        seeded_with_moderator()
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        log_in(page, studio)

        # The avatar, uploaded in the dashboard, goes to the bucket.
        page.goto(studio.url + "/avatars/")
        page.fill("input[name=name]", "Puppet")
        page.select_option("select[name=kind]", "sprite")
        page.set_input_files(
            "input[name=source]",
            {"name": "puppet.zip", "mimeType": "application/zip", "buffer": sprite_zip()},
        )
        page.click("form.avatar-upload button[type=submit]")
        page.wait_for_url("**/avatars/*/")
        avatar = Avatar.objects.get(name="Puppet")
        assert f"studio/{avatar.source.name}" in s3.objects()
        persona = Persona.objects.active()
        persona.avatar = avatar
        persona.save_version(note="the uploaded puppet speaks")

        page.goto(studio.url + "/")
        page.wait_for_selector("#conn[data-state=live]")
        ask(studio, "What is grace?", "maria")
        row = page.locator("#pending li.question", has_text="What is grace?")
        row.wait_for(timeout=15_000)
        row.locator("button.approve").click()

        made = Clip.objects.filter(question__text="What is grace?").exclude(video="")
        wait_until(made.exists, 180, "the clip and its library MP4")
        clip = made.get()
        # The worker fetched the upload from the store and unpacked it on its own machine.
        assert list((gpu_box / "avatars").glob(f"{avatar.pk}-*/base.png"))
        assert not (studio.media / clip.video.name).exists()  # made elsewhere, not here yet

        page.goto(studio.url + "/clips/")
        find = "document.querySelector(`video[data-clip='${id}']`)"
        page.locator(f"video[data-clip='{clip.pk}']").scroll_into_view_if_needed()
        page.evaluate(f"(id) => {{ const v = {find}; v.muted = true; return v.play(); }}", clip.pk)
        page.wait_for_function(f"(id) => {find}.currentTime > 1", arg=clip.pk, timeout=30_000)
        assert (studio.media / clip.video.name).is_file()  # fetched once, served from here

        pages = [page.content()]
        for path in ("/", "/system/", "/avatars/"):
            page.goto(studio.url + path)
            pages.append(page.content())
        assert errors == []
    shown = "".join(pages) + "".join(p.read_text(errors="replace") for p in tmp_path.glob("*.log"))
    assert SECRET_KEY not in shown and ACCESS_KEY not in shown
