"""Which lip-sync an image / video avatar gets with MuseTalk's files configured, the fallbacks
with their reasons, and a whole clip built by MuseTalk (tiny random-weight models, on the CPU)."""

from __future__ import annotations

import io
import shutil

import pytest
from django.core.files.base import ContentFile

from aijesus.studio.models import Avatar
from aijesus.studio.services import question_approve, question_submit
from builder import engines, video_lipsync
from builder.services import clip_build

pytestmark = pytest.mark.django_db


@pytest.fixture
def photo_persona(persona, settings, tmp_path, models):
    from PIL import Image
    from skimage import data

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STREAM_WIDTH, settings.STREAM_HEIGHT, settings.STREAM_FPS = 256, 144, 10
    settings.MUSETALK_DIR, settings.MUSETALK_ALLOW_CPU, settings.MUSETALK_BATCH = str(models), True, 8
    settings.WAV2LIP_CHECKPOINT = ""
    picture = io.BytesIO()
    Image.fromarray(data.astronaut()).save(picture, "PNG")
    avatar = Avatar.objects.create(name="Astronaut", kind=Avatar.Kind.VIDEO)
    avatar.source.save("astronaut.png", ContentFile(picture.getvalue()))
    persona.avatar = avatar
    persona.save_version(note="a photo that speaks")
    video_lipsync.cache_clear()
    yield persona
    video_lipsync.cache_clear()


def chosen(persona):
    return engines.engines_for(engines.with_defaults(persona.snapshot()))


def test_with_its_files_configured_musetalk_animates_the_photo(photo_persona):
    built = chosen(photo_persona)
    assert built.lipsync.name == "musetalk" and built.warnings == []
    assert built.lipsync.avatar.prepared.frames.shape == (1, 144, 256, 3)
    assert engines.describe_lipsync(photo_persona.snapshot()).engine == "musetalk"


def test_missing_files_or_no_gpu_fall_back_with_every_reason(photo_persona, settings, tmp_path, models):
    broken = tmp_path / "broken"
    shutil.copytree(models, broken)
    (broken / "sd-vae" / "config.json").unlink()
    settings.MUSETALK_DIR = str(broken)
    warning = chosen(photo_persona).warnings[0]
    assert "MuseTalk: " in warning and "sd-vae/config.json is missing" in warning
    assert "Wav2Lip: no Wav2Lip checkpoint configured (WAV2LIP_CHECKPOINT)" in warning
    choice = engines.describe_lipsync(photo_persona.snapshot())
    assert choice.engine == "sprite" and "sd-vae/config.json is missing" in choice.problem

    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        settings.MUSETALK_DIR, settings.MUSETALK_ALLOW_CPU = str(models), False
        video_lipsync.cache_clear()
        assert "no CUDA GPU (set MUSETALK_ALLOW_CPU=1" in chosen(photo_persona).warnings[0]


def test_lipsync_engine_narrows_the_choice(photo_persona, settings):
    settings.LIPSYNC_ENGINE = "wav2lip"
    assert chosen(photo_persona).lipsync.name == "sprite"  # MuseTalk is not tried
    settings.LIPSYNC_ENGINE = "musetalk"
    assert chosen(photo_persona).lipsync.name == "musetalk"


def test_a_clip_is_built_by_musetalk_and_records_it(photo_persona, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        clip = question_approve(question=question_submit(text="Who are you?", viewer_name="ivy"))
    assert clip_build(clip_id=clip.pk) == "ready"
    clip.refresh_from_db()
    assert clip.lipsync_engine == "musetalk" and "warnings" not in clip.timings
    assert clip.duration > 0 and clip.video
