"""A sprite set uploaded as an Avatar (a zip of PNGs) is what the builder animates."""

import io
import zipfile

import pytest
from django.core.files.base import ContentFile
from PIL import Image, ImageDraw

from aijesus.studio.models import Avatar
from builder.avatars import AvatarUploadError, sprite_folder
from builder.engines import engines_for

pytestmark = pytest.mark.django_db


def png(*boxes, colour, size=(160, 90)) -> bytes:
    img = Image.new("RGBA", size, (0, 0, 0, 0))
    for box in boxes:
        ImageDraw.Draw(img).rectangle(box, fill=colour)
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def sprite_zip(**extra: bytes) -> bytes:
    files = {
        "puppet/base.png": png((60, 20, 100, 89), colour=(230, 190, 150, 255)),
        "puppet/rest.png": png((74, 60, 86, 61), colour=(120, 40, 40, 255)),
        "puppet/a.png": png((74, 56, 86, 66), colour=(60, 10, 10, 255)),
        **extra,
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


@pytest.fixture
def small(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STREAM_WIDTH, settings.STREAM_HEIGHT, settings.STREAM_FPS = 160, 90, 25


def test_the_persona_speaks_with_its_uploaded_sprite_set(persona, small):
    avatar = Avatar.objects.create(name="Puppet", kind=Avatar.Kind.SPRITE)
    avatar.source.save("puppet.zip", ContentFile(sprite_zip()))
    persona.avatar = avatar
    persona.save_version(note="puppet")
    lipsync = engines_for(persona.snapshot()).lipsync
    frame = lipsync.avatar.compose(0)
    assert tuple(frame[80, 80]) == (230, 190, 150)  # the uploaded body, not the drawn character


def test_a_hostile_archive_cannot_write_outside_its_folder(small, settings):
    avatar = Avatar.objects.create(name="Evil", kind=Avatar.Kind.SPRITE)
    evil = png((0, 0, 5, 5), colour=(0, 0, 0, 255))
    avatar.source.save("evil.zip", ContentFile(sprite_zip(**{"../../escape.png": evil})))
    folder = sprite_folder(avatar)
    assert (folder / "escape.png").exists()
    assert not (settings.MEDIA_ROOT.parent / "escape.png").exists()


def test_a_zip_without_a_base_layer_is_a_clear_error(small):
    avatar = Avatar.objects.create(name="Broken", kind=Avatar.Kind.SPRITE)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("a.png", png((1, 1, 2, 2), colour=(0, 0, 0, 255)))
    avatar.source.save("broken.zip", ContentFile(out.getvalue()))
    with pytest.raises(AvatarUploadError, match=r"no base\.png"):
        sprite_folder(avatar)


def test_a_damaged_zip_is_a_clear_error(small):
    data = bytearray(sprite_zip())
    start = data.index(b"\x89PNG")  # the first member's bytes (stored uncompressed)
    data[start + 40 : start + 60] = bytes(20)  # its CRC no longer matches
    avatar = Avatar.objects.create(name="Damaged", kind=Avatar.Kind.SPRITE)
    avatar.source.save("damaged.zip", ContentFile(bytes(data)))
    with pytest.raises(AvatarUploadError, match="is damaged"):
        sprite_folder(avatar)


def test_the_builtin_character_needs_no_files(small):
    assert sprite_folder(Avatar.objects.create(name="Builtin")) is None
