"""Installed voices in the studio: `manage.py voices add` from a path and from a URL (a local HTTP
server), the Personas page's upload and audition, the persona editor, and a clip whose voice is
missing on the worker (spoken by espeak, the warning kept on the clip)."""

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from aijesus.studio.forms_personas import PersonaForm
from aijesus.studio.models import ModeratorAction
from aijesus.studio.services import question_approve, question_submit
from builder.services import clip_build
from tests.builder.tts.onnx_voices import piper_voice

pytestmark = pytest.mark.django_db
pytest.importorskip("onnxruntime")


@pytest.fixture(autouse=True)
def voices_dir(settings, tmp_path, fresh_engines):
    settings.VOICES_DIR = tmp_path / "installed"
    return settings.VOICES_DIR


@pytest.fixture
def downloads(tmp_path):
    """A folder as a voice's download page has it: model, config, MODEL_CARD."""
    folder = tmp_path / "downloads"
    piper_voice(folder, "fr_FR-test-medium")
    (folder / "MODEL_CARD").write_text("# Model card for test\n\n* License: MIT\n* URL: nowhere\n")
    return folder


def voices(*args):
    out = StringIO()
    call_command("voices", *args, stdout=out)
    return out.getvalue()


def test_add_from_a_path_then_list(downloads, voices_dir):
    said = voices("add", str(downloads / "fr_FR-test-medium.onnx"))
    assert "installed fr_FR-test-medium: fr, 22050 Hz; licence: License: MIT" in said
    assert (voices_dir / "fr_FR-test-medium.onnx").is_file() and (
        voices_dir / "fr_FR-test-medium.onnx.json"
    ).is_file()
    assert "fr_FR-test-medium: fr, 22050 Hz" in voices("list")
    assert not [p for p in voices_dir.iterdir() if p.name.startswith(".incoming")]


def test_add_from_a_url(downloads, voices_dir):
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(downloads))
    handler.log_message = lambda *args: None
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        assert "installed fr_FR-test-medium" in voices("add", f"{base}/fr_FR-test-medium.onnx")
        with pytest.raises(CommandError, match="answered HTTP 404"):
            voices("add", f"{base}/fr_FR-nobody-low.onnx")
    finally:
        server.shutdown()
        server.server_close()
    assert "License: MIT" in voices("list")


def test_a_wrong_file_is_refused_and_replaces_nothing(downloads, voices_dir, tmp_path):
    voices("add", str(downloads / "fr_FR-test-medium.onnx"))
    before = (voices_dir / "fr_FR-test-medium.onnx").read_bytes()
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "fr_FR-test-medium.onnx").write_bytes(b"not a model")
    (broken / "fr_FR-test-medium.onnx.json").write_text(
        (downloads / "fr_FR-test-medium.onnx.json").read_text()
    )
    with pytest.raises(CommandError, match="not a model onnxruntime can load"):
        voices("add", str(broken / "fr_FR-test-medium.onnx"))
    assert (voices_dir / "fr_FR-test-medium.onnx").read_bytes() == before
    with pytest.raises(CommandError, match="is missing beside"):
        (broken / "fr_FR-test-medium.onnx.json").unlink()
        voices("add", str(broken / "fr_FR-test-medium.onnx"))


def test_upload_and_audition_on_the_personas_page(client, owner, downloads, voices_dir):
    client.force_login(owner)
    model = (downloads / "fr_FR-test-medium.onnx").read_bytes()
    config = (downloads / "fr_FR-test-medium.onnx.json").read_bytes()
    wrong = client.post(
        reverse("voice-upload"),
        {"model": SimpleUploadedFile("fr_FR-test-medium.onnx", b"junk"),
         "config": SimpleUploadedFile("fr_FR-test-medium.onnx.json", config)},
        follow=True,
    )  # fmt: skip
    assert wrong.status_code == 200 and "Voice not installed" in wrong.content.decode()
    assert not (voices_dir / "fr_FR-test-medium.onnx").exists()

    done = client.post(
        reverse("voice-upload"),
        {"model": SimpleUploadedFile("fr_FR-test-medium.onnx", model),
         "config": SimpleUploadedFile("fr_FR-test-medium.onnx.json", config)},
        follow=True,
    )  # fmt: skip
    page = done.content.decode()
    assert "Installed the voice fr_FR-test-medium" in page and 'data-voice="fr_FR-test-medium"' in page
    assert ModeratorAction.objects.filter(kind="voice", user=owner).exists()

    heard = client.post(reverse("voice-audition", args=["fr_FR-test-medium"])).json()
    assert heard["duration"] > 0.5
    audio = client.get(heard["audio"])
    assert b"".join(audio.streaming_content)[:4] == b"RIFF"
    assert client.post(reverse("voice-audition", args=["nobody"])).status_code == 404


def test_the_persona_editor_takes_installed_voices_only(persona, downloads, settings):
    settings.TTS_ENGINE = "piper"
    persona.language = "fr"
    form = PersonaForm(persona=persona)
    data = {k: v for k, v in form.initial.items() if v is not None} | {"avatar": "", "language": "fr"}
    missing = PersonaForm({**data, "voice_name": "fr_FR-test-medium"}, persona=persona)
    assert (
        not missing.is_valid()
        and "no Piper voice 'fr_FR-test-medium' is installed" in missing.errors["voice_name"][0]
    )
    voices("add", str(downloads / "fr_FR-test-medium.onnx"))
    assert PersonaForm({**data, "voice_name": "fr_FR-test-medium"}, persona=persona).is_valid()
    english = PersonaForm({**data, "voice_name": "fr_FR-test-medium", "language": "en"}, persona=persona)
    assert not english.is_valid() and "speaks 'fr', not 'en'" in english.errors["voice_name"][0]


def french_clip_in(voice: str, persona, settings, tmp_path, capture):
    """A French persona speaking with Piper voice `voice` answers one question; the built clip."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STREAM_WIDTH, settings.STREAM_HEIGHT, settings.STREAM_FPS = 160, 90, 10
    persona.voice = {**persona.voice, "engine": "piper", "voice": voice}
    persona.language = "fr"
    persona.save_version(note=f"Piper voice {voice or 'by language'}")
    with capture(execute=False):
        clip = question_approve(question=question_submit(text="Qui es-tu ?", viewer_name="ivy"))
    assert clip_build(clip_id=clip.pk) == "ready"
    clip.refresh_from_db()
    return clip


def test_a_clip_whose_voice_is_missing_is_spoken_by_espeak_with_a_warning(
    persona, settings, tmp_path, django_capture_on_commit_callbacks
):
    clip = french_clip_in(
        "fr_FR-gone-medium", persona, settings, tmp_path, django_capture_on_commit_callbacks
    )
    assert clip.duration > 0
    warning = clip.timings["warnings"][0]
    assert warning.startswith("spoken by espeak instead of piper") and "fr_FR-gone-medium" in warning


def test_a_clip_in_an_installed_voice(
    persona, settings, tmp_path, downloads, django_capture_on_commit_callbacks
):
    voices("add", str(downloads / "fr_FR-test-medium.onnx"))
    clip = french_clip_in("", persona, settings, tmp_path, django_capture_on_commit_callbacks)
    assert clip.duration > 0 and "warnings" not in clip.timings


def test_the_system_page_says_whether_the_voice_is_installed(persona, settings, downloads):
    from aijesus.studio.system import OK, WARN, run_checks

    settings.TTS_ENGINE = "piper"
    persona.language = "fr"
    persona.save_version(note="fr")
    voice = {c.key: c for c in run_checks(live=False, workers=False)}["voice"]
    assert voice.status == WARN and "no Piper voice for 'fr'" in voice.detail and "voices add" in voice.fix
    voices("add", str(downloads / "fr_FR-test-medium.onnx"))
    voice = {c.key: c for c in run_checks(live=False, workers=False)}["voice"]
    assert voice.status == OK and "fr_FR-test-medium (fr, 22050 Hz)" in voice.detail


def test_kokoro_from_a_path_and_a_url_then_a_persona_speaks_with_it(tmp_path, voices_dir, persona, settings):
    from tests.builder.tts.onnx_voices import kokoro_files

    downloads = kokoro_files(tmp_path / "kokoro-downloads").parent
    said = voices("add", str(downloads / "kokoro-v1.0.onnx"))
    assert "licence: Apache-2.0 (Kokoro-82M weights); 3 voices: af_heart, bm_george, ff_siwis" in said
    listed = voices("list")
    assert "af_heart: en, 24000 Hz; licence: Apache-2.0" in listed and "ff_siwis: fr" in listed

    again = tmp_path / "again"
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(downloads))
    handler.log_message = lambda *args: None
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        settings.VOICES_DIR = again
        url = f"http://127.0.0.1:{server.server_address[1]}/kokoro-v1.0.onnx"
        assert "3 voices: af_heart, bm_george, ff_siwis" in voices("add", url)
    finally:
        server.shutdown()
        server.server_close()
    assert (again / "voices-v1.0.bin").is_file() and (again / "kokoro-v1.0.onnx").is_file()

    settings.TTS_ENGINE = "kokoro"
    persona.language = "fr"
    data = {k: v for k, v in PersonaForm(persona=persona).initial.items() if v is not None}
    form = PersonaForm({**data, "avatar": "", "language": "fr", "voice_name": "ff_siwis"}, persona=persona)
    assert form.is_valid(), form.errors
    wrong = PersonaForm({**data, "avatar": "", "language": "fr", "voice_name": "af_heart"}, persona=persona)
    assert not wrong.is_valid() and "speaks 'en', not 'fr'" in wrong.errors["voice_name"][0]


def test_kokoro_upload_and_audition(client, owner, tmp_path, voices_dir):
    from tests.builder.tts.onnx_voices import kokoro_files

    downloads = kokoro_files(tmp_path / "k").parent
    client.force_login(owner)
    done = client.post(
        reverse("voice-upload"),
        {"model": SimpleUploadedFile("kokoro-v1.0.onnx", (downloads / "kokoro-v1.0.onnx").read_bytes()),
         "config": SimpleUploadedFile("voices-v1.0.bin", (downloads / "voices-v1.0.bin").read_bytes())},
        follow=True,
    )  # fmt: skip
    page = done.content.decode()
    assert (
        "Installed Kokoro: Apache-2.0 (Kokoro-82M weights); 3 voices" in page
        and 'data-voice="ff_siwis"' in page
    )
    heard = client.post(reverse("voice-audition", args=["ff_siwis"])).json()
    assert heard["duration"] > 0.5 and client.get(heard["audio"]).status_code == 200
    wrong = client.post(
        reverse("voice-upload"),
        {"model": SimpleUploadedFile("kokoro-v1.0.onnx", (downloads / "kokoro-v1.0.onnx").read_bytes()),
         "config": SimpleUploadedFile("voices-v1.0.bin", b"not numpy")},
        follow=True,
    )  # fmt: skip
    assert (
        "Voice not installed" in wrong.content.decode()
        and "not a Kokoro voices file" in wrong.content.decode()
    )


def test_an_install_cut_off_by_a_crash_is_swept_by_the_next(downloads, voices_dir):
    import os
    import time

    abandoned, fresh = voices_dir / ".incoming-dead", voices_dir / ".incoming-live"
    for folder in (abandoned, fresh):
        folder.mkdir(parents=True)
        (folder / "half.onnx").write_bytes(b"x")
    hour_ago = time.time() - 3700
    os.utime(abandoned, (hour_ago, hour_ago))
    voices("add", str(downloads / "fr_FR-test-medium.onnx"))
    assert not abandoned.exists() and fresh.exists()  # one in progress elsewhere is left alone
