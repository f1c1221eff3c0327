"""The lip-sync engine cache keeps one engine per device: each engine holds its avatar's frames in
device memory, so a new face box or avatar replaces the engine there and frees the old one
(random-weight Wav2Lip on the CPU, the astronaut photo)."""

from __future__ import annotations

import gc
import io
import weakref

import pytest
from django.core.files.base import ContentFile

from aijesus.studio.models import Avatar
from builder import engines, video_lipsync
from builder.lipsync.base import LipSyncEngine

pytestmark = pytest.mark.django_db
torch = pytest.importorskip("torch")

FACE = (170, 60, 290, 200)  # the astronaut's face in the photo's pixels


@pytest.fixture
def avatar(settings, tmp_path, astronaut_image, checkpoint):
    from PIL import Image

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.WAV2LIP_CHECKPOINT, settings.WAV2LIP_ALLOW_CPU = str(checkpoint), True
    settings.WAV2LIP_BATCH, settings.LIPSYNC_ENGINE = 16, "wav2lip"
    settings.STREAM_WIDTH, settings.STREAM_HEIGHT, settings.STREAM_FPS = 256, 144, 10
    data = io.BytesIO()
    Image.fromarray(astronaut_image).save(data, "PNG")
    row = Avatar.objects.create(name="Astronaut", kind=Avatar.Kind.VIDEO)
    row.source.save("astronaut.png", ContentFile(data.getvalue()))
    video_lipsync.cache_clear()
    yield row
    video_lipsync.cache_clear()


def engine_for(avatar: Avatar, shift: int) -> LipSyncEngine:
    """The engine for the face box moved `shift` pixels to the right (a moderator's edit)."""
    avatar.settings = {"face_box": [FACE[0] + shift, FACE[1], FACE[2] + shift, FACE[3]]}
    avatar.save()
    made = video_lipsync.build(avatar, engines.media_format())
    assert isinstance(made, LipSyncEngine), made
    return made


def test_after_many_face_boxes_only_the_last_engine_is_alive(avatar):
    earlier = []
    for shift in range(0, 20, 4):  # five face boxes, one after the other
        earlier.append(weakref.ref(engine_for(avatar, shift)))
    gc.collect()

    alive = [ref() for ref in earlier if ref() is not None]
    assert len(alive) == 1 and alive[0] is earlier[-1]()
    assert video_lipsync.cache_info().currsize == 1
    assert video_lipsync.cache_info().misses == 5

    # The face box in use is built once: the next clip reuses it.
    assert engine_for(avatar, 16) is earlier[-1]()
    assert video_lipsync.cache_info().hits == 1


def try_no_face(avatar: Avatar) -> LipSyncEngine | str:
    avatar.settings = {"face_box": [0, 0, 1, 1]}  # no face in there: Wav2Lip cannot use it
    avatar.save()
    return video_lipsync.build(avatar, engines.media_format())


def test_a_failure_is_kept_and_asking_again_spares_the_engine_in_use(avatar):
    why = try_no_face(avatar)
    assert isinstance(why, str)
    in_use = engine_for(avatar, 8)
    assert try_no_face(avatar) == why  # the kept reason: nothing built, nothing freed
    assert engine_for(avatar, 8) is in_use
    assert video_lipsync.cache_info().currsize == 1 and video_lipsync.cache_info().misses == 2


def test_replacing_an_engine_on_a_gpu_hands_its_memory_back(avatar, monkeypatch):
    # No GPU here: the engines run on the CPU, the cache is told its device is CUDA.
    freed = []
    monkeypatch.setattr(video_lipsync, "_device", lambda: "cuda")
    monkeypatch.setattr(torch.cuda, "empty_cache", lambda: freed.append(True))
    first = weakref.ref(engine_for(avatar, 0))
    assert freed == []
    engine_for(avatar, 4)
    assert first() is None and freed == [True]
    video_lipsync.cache_clear()
    assert freed == [True, True] and video_lipsync.cache_info().currsize == 0
