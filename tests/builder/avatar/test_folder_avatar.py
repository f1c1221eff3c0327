"""A character supplied as a folder of PNGs loads into the same kind of sprite set."""

import numpy as np
import pytest
from PIL import Image, ImageDraw

from builder.avatar.folder import SpriteFolderError
from builder.avatar.loader import forget_loaded, load_sprite_avatar
from builder.avatar.sprites import EyeState
from builder.lipsync.visemes import Viseme
from builder.media import MediaFormat

FMT = MediaFormat(width=160, height=90, fps=25)


def _layer(path, *boxes, size=(160, 90), colour=(200, 60, 60, 255), opaque=False):
    img = Image.new("RGBA", size, (40, 90, 140, 255) if opaque else (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    for box in boxes:
        draw.rectangle(box, fill=colour)
    img.save(path)


@pytest.fixture
def sprite_folder(tmp_path):
    folder = tmp_path / "puppet"
    folder.mkdir()
    _layer(folder / "base.png", (60, 20, 100, 89), colour=(230, 190, 150, 255))  # a body on transparency
    _layer(folder / "rest.png", (74, 60, 86, 61), colour=(120, 40, 40, 255))
    _layer(folder / "a.png", (74, 56, 86, 66), colour=(60, 10, 10, 255))
    _layer(folder / "o.png", (77, 55, 83, 67), colour=(60, 10, 10, 255))
    _layer(folder / "eyes_closed.png", (68, 40, 92, 42), colour=(90, 60, 40, 255))
    forget_loaded()
    return folder


def test_a_folder_of_pngs_loads_as_a_sprite_set(sprite_folder, tmp_path):
    avatar = load_sprite_avatar("Puppet", tmp_path / "cache", FMT, source=sprite_folder)
    assert avatar.origin == "drawn" and avatar.size == (160, 90)
    frame = avatar.compose(0)
    assert tuple(frame[80, 80]) == (230, 190, 150)  # the body
    assert tuple(frame[60, 80]) == (120, 40, 40)  # the resting mouth over it


def test_its_mouth_shapes_change_only_the_mouth_region(sprite_folder, tmp_path):
    avatar = load_sprite_avatar("Puppet", tmp_path, FMT, source=sprite_folder)
    rest = avatar.compose(5)
    wide = avatar.compose(5, Viseme.A)
    assert tuple(wide[64, 80]) == (60, 10, 10)
    changed = np.any(rest != wide, axis=2)
    box = avatar.mouth_box(5)
    outside = changed.copy()
    outside[box.slices] = False
    assert changed.any() and not outside.any()


def test_a_missing_mouth_shape_borrows_a_similar_one(sprite_folder, tmp_path):
    avatar = load_sprite_avatar("Puppet", tmp_path, FMT, source=sprite_folder)
    assert np.array_equal(avatar.compose(0, Viseme.U), avatar.compose(0, Viseme.O))  # u → o
    assert np.array_equal(avatar.compose(0, Viseme.MBP), avatar.compose(0, Viseme.REST))


def test_its_eyes_close_for_a_blink(sprite_folder, tmp_path):
    avatar = load_sprite_avatar("Puppet", tmp_path, FMT, source=sprite_folder)
    assert tuple(avatar.compose(0, eyes=EyeState.CLOSED)[41, 80]) == (90, 60, 40)
    assert tuple(avatar.compose(0)[41, 80]) == (230, 190, 150)


def test_a_transparent_character_breathes_over_the_background(sprite_folder, tmp_path):
    avatar = load_sprite_avatar("Puppet", tmp_path, FMT, source=sprite_folder)
    assert avatar.pose_count > 1
    top_edge = [avatar.compose(p)[19:21, 80].astype(int).sum() for p in range(avatar.pose_count)]
    assert len(set(top_edge)) > 1  # the top of the body moves up and down


def test_an_opaque_picture_stays_still(tmp_path):
    folder = tmp_path / "still"
    folder.mkdir()
    _layer(folder / "base.png", opaque=True)
    _layer(folder / "rest.png", (74, 60, 86, 61))
    _layer(folder / "a.png", (74, 56, 86, 66))
    forget_loaded()
    avatar = load_sprite_avatar("", tmp_path, FMT, source=folder)
    assert avatar.pose_count == 1
    # No eye overlays: blinking changes nothing.
    assert np.array_equal(avatar.compose(0, eyes=EyeState.CLOSED), avatar.compose(0))


def test_pngs_of_another_size_are_scaled_to_the_format(sprite_folder, tmp_path):
    avatar = load_sprite_avatar("Puppet", tmp_path, MediaFormat(width=320, height=180), source=sprite_folder)
    assert avatar.background.shape == (180, 320, 3)
    assert tuple(avatar.compose(0)[160, 160]) == (230, 190, 150)


def test_a_folder_without_its_open_mouth_is_refused(sprite_folder, tmp_path):
    (sprite_folder / "a.png").unlink()
    with pytest.raises(SpriteFolderError, match=r"a\.png is missing"):
        load_sprite_avatar("Puppet", tmp_path, FMT, source=sprite_folder)


def test_changing_a_png_invalidates_the_cached_set(sprite_folder, tmp_path):
    load_sprite_avatar("Puppet", tmp_path, FMT, source=sprite_folder)
    _layer(sprite_folder / "a.png", (70, 56, 90, 70), colour=(10, 10, 10, 255))
    forget_loaded()
    again = load_sprite_avatar("Puppet", tmp_path, FMT, source=sprite_folder)
    assert again.origin == "drawn"
    assert tuple(again.compose(0, Viseme.A)[68, 80]) == (10, 10, 10)
