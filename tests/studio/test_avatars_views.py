"""Avatars in the dashboard: upload checked as the builder reads it, face box, previews."""

import io
import logging
import zipfile
from pathlib import Path

import av
import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from aijesus.studio.models import Avatar
from builder.avatars import sprite_folder

pytestmark = pytest.mark.django_db

HOSTILE = '<img src=x onerror="alert(1)"><script>alert(2)</script>'


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def mod_client(client, moderator) -> Client:
    client.force_login(moderator)
    return client


def png(size=(320, 180), colour=(200, 40, 40, 255), box=None) -> bytes:
    """An RGBA PNG; with `box`, transparent except that rectangle (an overlay like a mouth)."""
    img = Image.new("RGBA", size, (0, 0, 0, 0) if box else colour)
    if box:
        img.paste(colour, box)
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def sprite_zip(files=("base.png", "rest.png", "a.png"), folder="") -> bytes:
    pictures = {
        "base.png": png(colour=(40, 90, 160, 255)),
        "rest.png": png(colour=(120, 20, 20, 255), box=(150, 120, 170, 124)),
        "a.png": png(colour=(90, 10, 10, 255), box=(150, 116, 170, 132)),
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in files:
            archive.writestr(folder + name, pictures[name])
    return out.getvalue()


def mp4(width=160, height=120, frames=10, container="mp4", codec="libx264", rate=25) -> bytes:
    out = io.BytesIO()
    with av.open(out, "w", format=container) as muxer:
        stream = muxer.add_stream(codec, rate=rate)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for i in range(frames):
            pixels = np.full((height, width, 3), (i * 20, 100, 200), np.uint8)
            muxer.mux(stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")))
        muxer.mux(stream.encode(None))
    return out.getvalue()


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def upload(client, name, filename, content, kind="sprite", **extra):
    data = {"name": name, "kind": kind, "source": SimpleUploadedFile(filename, content), **extra}
    return client.post(reverse("avatars"), data)


def preview_image(client, avatar, which) -> Image.Image:
    response = client.get(reverse("avatar-preview", args=[avatar.pk, which]))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    return Image.open(io.BytesIO(b"".join(response.streaming_content)))


def test_the_list_shows_avatars_and_the_upload_form(mod_client, persona):
    response = mod_client.get(reverse("avatars"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Built-in character" in page and 'enctype="multipart/form-data"' in page
    assert "Used by Jesus" in page


def test_a_sprite_set_is_uploaded_unpacked_and_logged_with_the_user(mod_client, media_root, caplog):
    caplog.set_level(logging.INFO, logger="aijesus.studio.views.avatars")
    response = upload(mod_client, "Painted", "painted.zip", sprite_zip(folder="set/"))
    avatar = Avatar.objects.get(name="Painted")
    assert response.status_code == 302 and response.url == reverse("avatar-detail", args=[avatar.pk])
    assert avatar.kind == "sprite" and Path(avatar.source.path).is_file()
    assert (sprite_folder(avatar) / "base.png").is_file()  # unpacked where the builder looks
    assert files_under(media_root / "avatar-uploads") == []  # nothing left staged
    assert "uploaded by mod" in caplog.text and "'Painted'" in caplog.text


def test_an_upload_cut_off_by_a_crash_is_swept_by_the_next(mod_client, media_root):
    import os
    import time

    abandoned = media_root / "avatar-uploads" / "tmpdead"
    abandoned.mkdir(parents=True)
    (abandoned / "half.zip").write_bytes(b"x")
    hour_ago = time.time() - 3700
    os.utime(abandoned, (hour_ago, hour_ago))
    upload(mod_client, "Painted", "painted.zip", sprite_zip())
    assert files_under(media_root / "avatar-uploads") == []


def test_sprite_previews_show_the_idle_and_the_speaking_frame(mod_client):
    upload(mod_client, "Painted", "painted.zip", sprite_zip())
    avatar = Avatar.objects.get(name="Painted")
    idle = preview_image(mod_client, avatar, "idle")
    speaking = preview_image(mod_client, avatar, "speaking")
    assert idle.size == speaking.size == (640, 360)
    # The open mouth is drawn where a.png has it (scaled 2x from 320x180): lower than the rest mouth.
    assert idle.getpixel((320, 260)) != speaking.getpixel((320, 260))
    assert np.asarray(idle.convert("RGB"))[50, 50].tolist() == [40, 90, 160]  # base.png shows through


def test_the_builtin_character_has_a_preview(mod_client, persona):
    avatar = Avatar.objects.get(name="Built-in character")
    image = preview_image(mod_client, avatar, "idle")
    assert image.size == (640, 360)
    colours = np.unique(np.asarray(image.convert("RGB")).reshape(-1, 3), axis=0)
    assert len(colours) > 100  # a drawn picture, not a flat fill


@pytest.mark.parametrize(
    ("filename", "content", "message"),
    [
        ("set.zip", b"not a zip at all", "is not a zip of PNG files"),
        ("set.zip", sprite_zip(files=("rest.png", "a.png")), "has no base.png"),
        ("set.zip", sprite_zip(files=("base.png", "rest.png")), "a.png is missing"),
        ("set.png", png(), "A sprite set is a .zip"),
    ],
)
def test_a_bad_sprite_set_is_refused_and_leaves_nothing(mod_client, media_root, filename, content, message):
    response = upload(mod_client, "Broken", filename, content)
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors["source"])
    assert not Avatar.objects.filter(name="Broken").exists()
    assert files_under(media_root) == []  # no file, no unpacked set, nothing staged


def test_an_image_avatar_with_a_face_box_is_kept_and_previewed_with_the_box(mod_client):
    response = upload(
        mod_client, "Portrait", "face.png", png((800, 600)), kind="video", x1=300, y1=100, x2=500, y2=350
    )
    avatar = Avatar.objects.get(name="Portrait")
    assert response.status_code == 302
    assert avatar.settings == {"face_box": [300, 100, 500, 350]}
    still = preview_image(mod_client, avatar, "still").convert("RGB")
    assert still.size == (480, 360)  # scaled down to the preview's height
    assert still.getpixel((180, 120)) == (224, 177, 74)  # the box's top-left corner, scaled by 0.6
    assert mod_client.get(reverse("avatar-preview", args=[avatar.pk, "idle"])).status_code == 404


@pytest.mark.parametrize(
    ("container", "codec", "ext"), [("mp4", "libx264", "mp4"), ("webm", "libvpx", "webm")]
)
def test_a_loop_video_is_kept_and_previewed_by_its_first_frame(mod_client, container, codec, ext):
    response = upload(mod_client, "Loop", f"loop.{ext}", mp4(container=container, codec=codec), kind="video")
    assert response.status_code == 302
    avatar = Avatar.objects.get(name="Loop")
    still = preview_image(mod_client, avatar, "still")
    assert still.size == (160, 120)
    red, green, blue = still.convert("RGB").getpixel((80, 60))
    assert red < 20 and abs(green - 100) < 12 and abs(blue - 200) < 12  # frame 0: (0, 100, 200)
    source = mod_client.get(reverse("avatar-source", args=[avatar.pk]), HTTP_RANGE="bytes=0-3")
    assert source.status_code == 206 and len(source.content) == 4


@pytest.mark.parametrize(
    ("filename", "content", "extra", "message"),
    [
        ("face.gif", b"GIF89a", {}, "is a .png, .jpg, .mp4 or .webm file"),
        ("face.png", b"\x89PNG\r\n\x1a\n broken", {}, "not a readable PNG or JPEG"),
        ("face.jpg", png(), {}, "is a PNG picture named .jpg"),
        ("face.png", png((40, 40)), {}, "each side must be 64 to 4096 pixels"),
        ("loop.mp4", b"\x00\x00\x00\x18ftypmp42 not really", {}, "not a readable MP4 or WebM video"),
        ("loop.webm", mp4(), {}, "is not a .webm video"),
        ("loop.mp4", mp4(frames=70, rate=1), {}, "the limit is 60 s (UPLOAD_VIDEO_MAX_SECONDS)"),
    ],
)
def test_a_bad_image_or_video_is_refused_clearly(mod_client, media_root, filename, content, extra, message):
    response = upload(mod_client, "Bad", filename, content, kind="video", **extra)
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors["source"])
    assert not Avatar.objects.filter(name="Bad").exists()
    assert files_under(media_root) == []


def test_files_over_the_size_limit_are_refused(mod_client, settings):
    settings.UPLOAD_AVATAR_MAX_MB = 1
    response = upload(
        mod_client, "Big", "face.png", png((400, 400), colour=(1, 2, 3, 4)) + b"\0" * (1 << 20), "video"
    )
    assert response.status_code == 400
    assert "the limit of 1 MB (UPLOAD_AVATAR_MAX_MB)" in " ".join(response.context["form"].errors["source"])


@pytest.mark.parametrize(
    ("box", "message"),
    [
        ({"x1": 10, "y1": 10, "x2": 900, "y2": 50}, "inside the 800x600 picture"),
        ({"x1": 50, "y1": 10, "x2": 20, "y2": 50}, "x1 < x2"),
        ({"x1": 10, "y1": 10}, "all four face box values"),
        ({"x1": 10, "y1": 10, "x2": 30, "y2": 200}, "too small"),
    ],
)
def test_a_face_box_outside_the_picture_is_refused(mod_client, media_root, box, message):
    response = upload(mod_client, "Portrait", "face.png", png((800, 600)), kind="video", **box)
    assert response.status_code == 400
    assert message in response.content.decode().replace("&lt;", "<")
    assert not Avatar.objects.filter(name="Portrait").exists()
    assert files_under(media_root) == []


def test_a_sprite_set_takes_no_face_box(mod_client):
    response = upload(mod_client, "Painted", "p.zip", sprite_zip(), x1=1, y1=1, x2=5, y2=5)
    assert response.status_code == 400
    assert "A face box is for image or video avatars" in response.content.decode()


def test_the_face_box_can_be_changed_and_cleared_later(mod_client, caplog):
    caplog.set_level(logging.INFO, logger="aijesus.studio.views.avatars")
    upload(mod_client, "Portrait", "face.png", png((800, 600)), kind="video")
    avatar = Avatar.objects.get(name="Portrait")
    url = reverse("avatar-face-box", args=[avatar.pk])
    assert mod_client.post(url, {"x1": 1, "y1": 2, "x2": 300, "y2": 400}).status_code == 302
    avatar.refresh_from_db()
    assert avatar.settings["face_box"] == [1, 2, 300, 400]
    assert "face box set to [1, 2, 300, 400] by mod" in caplog.text
    assert mod_client.post(url, {"x1": 1, "y1": 2, "x2": 3000, "y2": 400}).status_code == 400
    assert mod_client.post(url, {}).status_code == 302
    avatar.refresh_from_db()
    assert "face_box" not in avatar.settings


def test_a_duplicate_name_is_refused(mod_client, persona):
    response = upload(mod_client, "built-in CHARACTER", "p.zip", sprite_zip())
    assert response.status_code == 400
    assert "Another avatar already has this name" in response.content.decode()


def test_hostile_avatar_names_are_shown_as_text(mod_client):
    upload(mod_client, HOSTILE, "face.png", png((200, 200)), kind="video")
    avatar = Avatar.objects.get(name=HOSTILE)
    for url in (reverse("avatars"), reverse("avatar-detail", args=[avatar.pk])):
        page = mod_client.get(url).content.decode()
        assert "<script>alert" not in page and "<img src=x" not in page
        assert "&lt;script&gt;alert(2)&lt;/script&gt;" in page


def test_uploads_are_refused_without_the_csrf_token(moderator, persona):
    client = Client(enforce_csrf_checks=True)
    client.force_login(moderator)
    assert upload(client, "Forged", "p.zip", sprite_zip()).status_code == 403
    avatar = Avatar.objects.get(name="Built-in character")
    assert client.post(reverse("avatar-face-box", args=[avatar.pk]), {}).status_code == 403
    assert not Avatar.objects.filter(name="Forged").exists()


def test_viewers_and_anonymous_visitors_are_refused(client, viewer_account, persona):
    avatar = Avatar.objects.get(name="Built-in character")
    urls = [
        reverse("avatars"),
        reverse("avatar-detail", args=[avatar.pk]),
        reverse("avatar-preview", args=[avatar.pk, "idle"]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert upload(client, "Anon", "p.zip", sprite_zip()).status_code == 302
    client.force_login(viewer_account)
    for url in urls:
        assert client.get(url).status_code == 403
    assert upload(client, "Viewer", "p.zip", sprite_zip()).status_code == 403
    assert Avatar.objects.count() == 1
