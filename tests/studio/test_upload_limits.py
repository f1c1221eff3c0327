"""Bounded uploads: an avatar, a voice, a zip, a picture or a video over one of the UPLOAD_* limits is
refused with a message naming that limit, and nothing of it is left: no temporary file, no staged
folder, no half-installed voice, no row. Limits are lowered per test so the fixtures stay small."""

import io
import struct
import tempfile
import threading
import zipfile
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from aijesus.studio.models import Avatar, ModeratorAction
from tests.studio.test_avatars_views import mp4, png, sprite_zip, upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def places(settings, tmp_path, monkeypatch) -> dict[str, Path]:
    """Every place an upload could leave something: the media, the voices, the temporary files
    (Django's and the views' own), all empty at the start."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    settings.FILE_UPLOAD_TEMP_DIR = str(temp)
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1000  # every upload goes through a temporary file
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VOICES_DIR = tmp_path / "voices"
    return {"media": settings.MEDIA_ROOT, "voices": settings.VOICES_DIR, "temp": temp}


def assert_nothing_left(places: dict[str, Path]) -> None:
    """No file anywhere, no folder but the (empty) root of the avatar staging folders, no row."""
    for where, folder in places.items():
        left = sorted(p.relative_to(folder) for p in folder.rglob("*")) if folder.exists() else []
        assert left in ([], [Path("avatar-uploads")]), f"{where}: {left}"
    assert not Avatar.objects.exists()
    assert not ModeratorAction.objects.filter(kind__in=("avatar", "voice")).exists()


@pytest.fixture
def mod_client(client, moderator):
    client.force_login(moderator)
    return client


@pytest.fixture
def owner_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("uploader", password="pw-up-123"))
    return client


def refusal(response) -> str:
    assert response.status_code == 400
    return " ".join(response.context["form"].errors.get("source", []))


def png_header(width: int, height: int) -> bytes:
    """A PNG that claims width x height and holds no pixels: a decompression bomb's header."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


def zip_of(**members: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def set_members() -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(sprite_zip())) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


# -- avatars


def test_an_avatar_file_over_the_size_limit_is_cut_off_and_leaves_nothing(mod_client, settings, places):
    settings.UPLOAD_AVATAR_MAX_MB = 1
    big = png((400, 400)) + b"\0" * (1 << 20)
    message = refusal(upload(mod_client, "Big", "face.png", big, kind="video"))
    assert "face.png is larger than the limit of 1 MB (UPLOAD_AVATAR_MAX_MB)" in message
    assert_nothing_left(places)


def test_the_form_checks_the_size_as_well(settings):
    from aijesus.studio.avatar_files import AvatarFileError, check_upload

    settings.UPLOAD_AVATAR_MAX_MB = 1
    with pytest.raises(
        AvatarFileError, match=r"That video is 2\.0 MB; the limit is 1 MB \(UPLOAD_AVATAR_MAX_MB\)"
    ):
        check_upload("video", SimpleUploadedFile("loop.mp4", b"\0" * (2 << 20)))


def test_a_zip_that_unpacks_past_the_limit_is_refused_before_unpacking(mod_client, settings, places):
    settings.UPLOAD_ZIP_MAX_MB = 1
    bomb = zip_of(**set_members(), **{"padding.png": b"\0" * (2 << 20)})  # 2 MB of zeros: ~2 KB zipped
    assert len(bomb) < 20_000
    message = refusal(upload(mod_client, "Bomb", "set.zip", bomb))
    assert "set.zip unpacks to 2.0 MB; the limit is 1 MB (UPLOAD_ZIP_MAX_MB)" in message
    assert_nothing_left(places)


def test_a_zip_with_too_many_files_is_refused(mod_client, settings, places):
    settings.UPLOAD_ZIP_MAX_FILES = 5
    crowded = zip_of(**set_members(), **{f"junk/{i}.txt": b"x" for i in range(5)})
    message = refusal(upload(mod_client, "Crowded", "set.zip", crowded))
    assert "set.zip holds more than 5 files; the limit is 5 (UPLOAD_ZIP_MAX_FILES)" in message
    assert_nothing_left(places)


def test_a_picture_over_the_pixel_limit_is_refused(mod_client, settings, places):
    settings.UPLOAD_IMAGE_MAX_PIXELS = 100 * 100
    message = refusal(upload(mod_client, "Wide", "face.png", png((200, 200)), kind="video"))
    assert "200x200 (40,000 pixels); the limit is 10,000 pixels (UPLOAD_IMAGE_MAX_PIXELS)" in message
    assert_nothing_left(places)


@pytest.mark.parametrize(
    ("width", "height", "message"),
    [
        # Under PIL's own bound: refused from the header, before decoding (it holds no pixels to decode).
        (5000, 5000, "5000x5000 (25,000,000 pixels); the limit is 16,777,216 pixels"),
        # Past PIL's bound: PIL refuses to open it at all, and says so the same way.
        (60000, 60000, "claims more than 178,956,970 pixels; the limit is 16,777,216 pixels"),
    ],
)
def test_a_decompression_bomb_is_refused_from_its_header(mod_client, places, width, height, message):
    response = upload(mod_client, "Bomb", "face.png", png_header(width, height), kind="video")
    assert message in refusal(response) and "(UPLOAD_IMAGE_MAX_PIXELS)" in refusal(response)
    assert_nothing_left(places)


def test_a_sprite_set_holding_a_bomb_is_refused_before_its_pngs_are_decoded(mod_client, places):
    members = {**set_members(), "base.png": png_header(5000, 5000)}
    message = refusal(upload(mod_client, "Bomb", "set.zip", zip_of(**members)))
    assert "base.png in set.zip is 5000x5000 (25,000,000 pixels)" in message
    assert_nothing_left(places)


@pytest.mark.parametrize(
    ("setting", "value", "video", "message"),
    [
        ("UPLOAD_IMAGE_MAX_PIXELS", 100 * 100, {}, "Each frame of the video is 160x120 (19,200 pixels)"),
        ("UPLOAD_VIDEO_MAX_FRAMES", 5, {"frames": 10}, "more than 5 frames; the limit is 5"),
        ("UPLOAD_VIDEO_MAX_SECONDS", 1, {"frames": 10, "rate": 5}, "lasts 2 s; the limit is 1 s"),
    ],
)
def test_a_loop_video_over_a_limit_is_refused(mod_client, settings, places, setting, value, video, message):
    setattr(settings, setting, value)
    response = upload(mod_client, "Loop", "loop.mp4", mp4(**video), kind="video")
    assert message in refusal(response) and f"({setting})" in refusal(response)
    assert_nothing_left(places)


def test_a_minute_long_loop_is_within_the_defaults(mod_client):
    response = upload(mod_client, "Minute", "loop.mp4", mp4(frames=60, rate=1), kind="video")
    assert response.status_code == 302 and Avatar.objects.filter(name="Minute").exists()


# -- voices


def post_voice(client, model: bytes, config: bytes, name: str = "fr_FR-big-medium.onnx"):
    files = {"model": SimpleUploadedFile(name, model), "config": SimpleUploadedFile(name + ".json", config)}
    return client.post(reverse("voice-upload"), files, follow=True).content.decode()


def test_a_voice_over_the_size_limit_is_cut_off_and_leaves_nothing(owner_client, settings, places):
    settings.UPLOAD_VOICE_MAX_MB = 1
    page = post_voice(owner_client, b"\0" * (1 << 20) + b"more", b"{}")
    assert (
        "Voice not installed: fr_FR-big-medium.onnx is larger than the limit of 1 MB (UPLOAD_VOICE_MAX_MB)"
        in page
    )
    assert_nothing_left(places)


def voices_add(source: str) -> str:
    out = StringIO()
    call_command("voices", "add", source, stdout=out)
    return out.getvalue()


def test_voices_add_refuses_a_file_over_the_limit_before_copying_it(settings, places, tmp_path):
    settings.UPLOAD_VOICE_MAX_MB = 1
    model = tmp_path / "downloads" / "fr_FR-big-medium.onnx"
    model.parent.mkdir()
    with model.open("wb") as out:
        out.truncate((1 << 20) + 1)  # sparse: no megabyte written
    model.with_name(model.name + ".json").write_text("{}")
    with pytest.raises(CommandError, match=r"fr_FR-big-medium\.onnx is 1\.0 MB; the limit is 1 MB"):
        voices_add(str(model))
    assert_nothing_left(places)


class EndlessVoice(BaseHTTPRequestHandler):
    """Sends a .onnx with no length, forever: only a client that stops at its limit ever stops."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()
        try:
            while True:
                self.wfile.write(b"\0" * 65536)
        except OSError:
            return  # the client hung up

    def log_message(self, *args: object) -> None:
        pass


def test_voices_add_stops_a_download_at_the_limit(settings, places):
    settings.UPLOAD_VOICE_MAX_MB = 1
    server = ThreadingHTTPServer(("127.0.0.1", 0), EndlessVoice)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/fr_FR-big-medium.onnx"
    try:
        with pytest.raises(CommandError, match=r"is larger than the limit of 1 MB \(UPLOAD_VOICE_MAX_MB\)"):
            voices_add(url)
    finally:
        server.shutdown()
        server.server_close()
    assert_nothing_left(places)


def test_a_kokoro_voices_file_over_the_zip_limit_is_refused(settings, places, tmp_path):
    pytest.importorskip("onnxruntime")
    from tests.builder.tts.onnx_voices import kokoro_files

    settings.UPLOAD_ZIP_MAX_FILES = 2
    model = kokoro_files(tmp_path / "kokoro")  # three voices: three arrays in voices-v1.0.bin
    with pytest.raises(CommandError, match=r"voices-v1\.0\.bin holds more than 2 files"):
        voices_add(str(model))
    assert_nothing_left(places)


# -- where the limits are shown


def test_the_system_page_lists_the_upload_limits(mod_client, settings):
    settings.SYSTEM_CHECK_TIMEOUT = 0.1
    settings.UPLOAD_VOICE_MAX_MB = 1500
    page = mod_client.get(reverse("system")).content.decode()
    assert "Upload limits" in page
    assert '<tr data-setting="UPLOAD_VOICE_MAX_MB">' in page and "1,500 MB" in page
    for name in (
        "UPLOAD_AVATAR_MAX_MB",
        "UPLOAD_ZIP_MAX_MB",
        "UPLOAD_ZIP_MAX_FILES",
        "UPLOAD_IMAGE_MAX_PIXELS",
    ):
        assert f'data-setting="{name}"' in page


def test_a_bad_limit_stops_start_up_with_a_clear_message(tmp_path):
    from tests.test_settings import run_manage

    result = run_manage("check", DATA_DIR=str(tmp_path), UPLOAD_IMAGE_MAX_PIXELS="lots")
    assert result.returncode != 0 and "UPLOAD_IMAGE_MAX_PIXELS='lots' is not an integer" in result.stderr
