"""The built-in character's sprite set: frames are a backdrop plus pastes, and pastes leave no seam."""

import shutil
import time

import numpy as np
import pytest

from builder.avatar.loader import forget_loaded, load_sprite_avatar
from builder.avatar.sprites import EyeState
from builder.lipsync.visemes import Viseme
from tests.builder.avatar.conftest import SMALL
from tests.sprites import load_shared


def _changed(a, b):
    """Mask of pixels that differ between two frames."""
    return np.any(a != b, axis=2)


def _inside(mask, box):
    inside = np.zeros_like(mask)
    inside[box.slices] = True
    return inside


def test_frames_have_the_formats_size_and_dtype(small_avatar):
    frame = small_avatar.compose(0, Viseme.A, EyeState.CLOSED)
    assert frame.shape == (SMALL.height, SMALL.width, 3)
    assert frame.dtype == np.uint8


def test_the_set_has_every_mouth_shape_and_they_all_look_different(small_avatar):
    mouths = small_avatar.mouths[0]
    assert len(mouths) == len(Viseme) >= 8
    for i in range(len(mouths)):
        for j in range(i + 1, len(mouths)):
            assert not np.array_equal(mouths[i], mouths[j]), (list(Viseme)[i], list(Viseme)[j])


@pytest.mark.parametrize("pose", [0, 13, 30])
def test_changing_the_mouth_changes_only_the_mouth_box(small_avatar, pose):
    rest = small_avatar.compose(pose, Viseme.REST)
    for shape in Viseme:
        changed = _changed(rest, small_avatar.compose(pose, shape))
        assert not (changed & ~_inside(changed, small_avatar.mouth_box(pose))).any()
        assert changed.any() == (shape is not Viseme.REST)


@pytest.mark.parametrize("pose", [0, 21])
def test_closing_the_eyes_changes_only_the_eye_box(small_avatar, pose):
    open_ = small_avatar.compose(pose)
    for state in (EyeState.HALF, EyeState.CLOSED):
        changed = _changed(open_, small_avatar.compose(pose, eyes=state))
        assert changed.any()
        assert not (changed & ~_inside(changed, small_avatar.eye_box(pose))).any()


def test_the_resting_patches_match_the_pose_they_are_pasted_on(small_avatar):
    # Patches are drawn separately from the tiles; a mismatch would show as a seam around the mouth.
    for pose in range(small_avatar.pose_count):
        frame = small_avatar.compose(pose)
        assert np.array_equal(frame[small_avatar.mouth_box(pose).slices], small_avatar.mouths[pose, 0])
        assert np.array_equal(
            frame[small_avatar.eye_box(pose).slices], small_avatar.eyes[pose, EyeState.OPEN]
        )


def test_the_idle_poses_move_the_figure_but_not_the_scene_around_it(small_avatar):
    a, b = small_avatar.compose(0), small_avatar.compose(small_avatar.pose_count // 4)
    changed = _changed(a, b)
    assert changed.any()
    assert not (changed & ~_inside(changed, small_avatar.tile_box)).any()


def test_neighbouring_poses_differ_by_small_steps(small_avatar):
    # Smooth motion: the change between neighbours is far smaller than across the cycle.
    def diff(p, q):
        return np.abs(small_avatar.compose(p).astype(int) - small_avatar.compose(q)).mean()

    n = small_avatar.pose_count
    steps = [diff(p, (p + 1) % n) for p in range(n)]
    assert max(steps) < diff(0, n // 4)


def test_the_mouth_box_follows_the_head(small_avatar):
    origins = {tuple(o) for o in small_avatar.mouth_origins}
    assert len(origins) > 1


def test_a_drawn_set_is_cached_on_disk_and_in_memory(tmp_path):
    forget_loaded()
    started = time.perf_counter()
    first = load_sprite_avatar("Jesus", tmp_path, SMALL)
    drawing = time.perf_counter() - started
    assert first.origin == "drawn"
    assert len(list(tmp_path.glob("*.npz"))) == 1

    forget_loaded()  # as a fresh worker process would start
    started = time.perf_counter()
    second = load_sprite_avatar("Jesus", tmp_path, SMALL)
    assert second.origin == "disk"
    assert time.perf_counter() - started < drawing
    assert np.array_equal(first.tiles, second.tiles) and np.array_equal(first.mouths, second.mouths)
    assert second.tile_box == first.tile_box

    third = load_sprite_avatar("Jesus", tmp_path, SMALL)
    assert third.origin == "memory" and third.tiles is second.tiles


def test_another_name_or_size_is_a_different_set(tmp_path, small_avatar):
    other = load_sprite_avatar("Maria", tmp_path, SMALL)
    assert other.origin == "drawn"
    assert not np.array_equal(other.background, small_avatar.background)  # the name plate differs


def test_a_damaged_cache_file_is_drawn_again(tmp_path, sprite_cache):
    # The run's shared set, copied in as this folder's cache file: drawing it here first cost a
    # drawing (seconds), and the point is the drawing after the damage.
    forget_loaded()
    load_shared("Jesus", SMALL, sprite_cache)  # from the shared folder, or drawn into it
    for drawn in sprite_cache.glob(f"jesus-{SMALL.width}x{SMALL.height}-*.npz"):
        shutil.copy(drawn, tmp_path)
    forget_loaded()
    assert load_sprite_avatar("Jesus", tmp_path, SMALL).origin == "disk"
    for path in tmp_path.glob("*.npz"):  # older drawings' files too, if the shared folder kept any
        path.write_bytes(b"not a sprite set")
    forget_loaded()
    assert load_sprite_avatar("Jesus", tmp_path, SMALL).origin == "drawn"


def test_without_a_cache_dir_it_still_loads(small_avatar):
    forget_loaded()
    assert load_sprite_avatar("Jesus", None, SMALL).origin == "drawn"


def test_composing_into_a_buffer_reuses_it(small_avatar):
    out = np.empty_like(small_avatar.background)
    assert small_avatar.compose(3, Viseme.O, out=out) is out
    assert np.array_equal(out, small_avatar.compose(3, Viseme.O))


def test_processes_starting_together_draw_the_set_once(tmp_path):
    """As `make run` starts its processes: three at once on one empty cache, one draws."""
    import subprocess
    import sys

    from tests.builder.worker import ROOT

    script = (
        "import logging, sys; logging.basicConfig(level=logging.INFO, stream=sys.stdout)\n"
        "from builder.avatar.loader import load_sprite_avatar\n"
        "from builder.media import MediaFormat\n"
        f"avatar = load_sprite_avatar('Jesus', __import__('pathlib').Path({str(tmp_path)!r}), "
        f"MediaFormat(width={SMALL.width}, height={SMALL.height}, fps={SMALL.fps}))\n"
        "print('origin', avatar.origin)\n"
    )
    runs = [
        subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    outputs = [run.communicate(timeout=120)[0] for run in runs]
    assert all(run.returncode == 0 for run in runs), outputs
    origins = sorted(
        line.split()[-1] for out in outputs for line in out.splitlines() if line.startswith("origin")
    )
    assert origins == ["disk", "disk", "drawn"], outputs
    assert sum("drew sprite set" in out for out in outputs) == 1
