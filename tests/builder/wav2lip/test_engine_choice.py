"""Which lip-sync engine a clip gets, and what the clip records when Wav2Lip cannot run."""

import io
from pathlib import Path

import pytest
from django.core.files.base import ContentFile

from aijesus.studio.models import Avatar
from aijesus.studio.services import question_approve, question_submit
from builder import engines, video_lipsync
from builder.services import clip_build

pytestmark = pytest.mark.django_db


@pytest.fixture
def video_persona(persona, settings, tmp_path, astronaut_image):
    from PIL import Image

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STREAM_WIDTH, settings.STREAM_HEIGHT, settings.STREAM_FPS = 256, 144, 10
    settings.WAV2LIP_BATCH = 16
    data = io.BytesIO()
    Image.fromarray(astronaut_image).save(data, "PNG")
    avatar = Avatar.objects.create(name="Astronaut", kind=Avatar.Kind.VIDEO)
    avatar.source.save("astronaut.png", ContentFile(data.getvalue()))
    persona.avatar = avatar
    persona.save_version(note="a photo that speaks")
    video_lipsync.cache_clear()
    yield persona
    video_lipsync.cache_clear()


@pytest.fixture
def usable_checkpoint(settings, checkpoint):
    settings.WAV2LIP_CHECKPOINT = str(checkpoint)
    settings.WAV2LIP_ALLOW_CPU = True  # this machine may have no GPU
    return checkpoint


def chosen(persona):
    return engines.engines_for(engines.with_defaults(persona.snapshot()))


def test_a_video_avatar_with_a_checkpoint_is_lip_synced_by_wav2lip(video_persona, usable_checkpoint):
    built = chosen(video_persona)
    assert built.lipsync.name == "wav2lip" and built.warnings == []
    assert built.lipsync.avatar.frames.shape == (1, 144, 256, 3)  # the photo fitted to the stream


def test_the_face_box_in_the_avatar_settings_replaces_detection(video_persona, usable_checkpoint):
    avatar = Avatar.objects.get(name="Astronaut")
    avatar.settings = {"face_box": [170, 60, 290, 200]}
    avatar.save()
    box = chosen(video_persona).lipsync.avatar.boxes[0].tolist()
    # 512 px fitted into 144: x0.28125, centred 56 px from the left.
    assert box == [56 + 48, 17, 56 + 82, 56]


def test_without_a_checkpoint_the_drawn_character_speaks_with_a_warning(video_persona, settings):
    settings.WAV2LIP_CHECKPOINT = ""
    built = chosen(video_persona)
    assert built.lipsync.name == "sprite"
    assert len(built.warnings) == 1 and "WAV2LIP_CHECKPOINT" in built.warnings[0]
    assert "Astronaut" in built.warnings[0]


def test_without_a_gpu_it_falls_back_unless_the_cpu_is_allowed(video_persona, usable_checkpoint, settings):
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    settings.WAV2LIP_ALLOW_CPU = False
    built = chosen(video_persona)
    assert built.lipsync.name == "sprite" and "no CUDA GPU" in built.warnings[0]


def test_a_bad_face_box_or_lipsync_engine_sprite_fall_back_with_the_reason(
    video_persona, usable_checkpoint, settings
):
    Avatar.objects.filter(name="Astronaut").update(settings={"face_box": [1, 2, 3]})
    assert "face_box" in chosen(video_persona).warnings[0]
    settings.LIPSYNC_ENGINE = "sprite"
    assert "LIPSYNC_ENGINE=sprite" in chosen(video_persona).warnings[0]


def test_sprite_avatars_are_untouched_and_say_nothing(persona, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.STREAM_WIDTH, settings.STREAM_HEIGHT = 160, 90
    built = chosen(persona)
    assert built.lipsync.name == "sprite" and built.warnings == []


def test_worker_warm_up_loads_the_model_and_prepares_the_avatar_once(video_persona, usable_checkpoint):
    engines.warm_up()
    assert video_lipsync.cache_info().currsize == 1
    source = Avatar.objects.get(name="Astronaut").source.path
    assert list(Path(source + ".wav2lip").glob("*.npz"))
    chosen(video_persona)
    assert video_lipsync.cache_info().hits >= 1  # the clip reuses what the warm-up built


def build_a_clip(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        clip = question_approve(question=question_submit(text="Who are you?", viewer_name="ivy"))
    assert clip_build(clip_id=clip.pk) == "ready"
    clip.refresh_from_db()
    return clip


def test_a_clip_built_without_a_checkpoint_records_the_engine_and_the_warning(
    video_persona, settings, django_capture_on_commit_callbacks
):
    settings.WAV2LIP_CHECKPOINT = ""
    clip = build_a_clip(django_capture_on_commit_callbacks)
    assert clip.lipsync_engine == "sprite"
    assert "WAV2LIP_CHECKPOINT" in clip.timings["warnings"][0]


def test_a_clip_built_with_a_checkpoint_is_lip_synced_by_wav2lip(
    video_persona, usable_checkpoint, django_capture_on_commit_callbacks
):
    clip = build_a_clip(django_capture_on_commit_callbacks)
    assert clip.lipsync_engine == "wav2lip" and "warnings" not in clip.timings
    assert clip.duration > 0
