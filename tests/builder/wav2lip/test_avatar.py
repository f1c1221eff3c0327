import numpy as np
import pytest

from builder.lipsync.base import LipSyncError
from builder.lipsync.wav2lip import avatar as avatar_module
from builder.lipsync.wav2lip.avatar import prepare_avatar
from builder.lipsync.wav2lip.face import NoFaceError, smooth_boxes

# Where the astronaut's face is in skimage's 512x512 photo (eyes to chin), measured by eye.
FACE_CENTRE = (225, 120)


def test_the_face_in_a_photo_is_found_with_the_chin_and_cropped_to_96px(astronaut, astronaut_image, tmp_path):
    prepared = prepare_avatar(astronaut, 512, 512, 25, cache_dir=tmp_path / "cache")

    ((x1, y1, x2, y2),) = prepared.boxes
    assert x1 < FACE_CENTRE[0] < x2 and y1 < FACE_CENTRE[1] < y2
    assert 80 < x2 - x1 < 140 and y2 - y1 > x2 - x1  # a face, extended down to the chin
    assert np.array_equal(prepared.frames[0], astronaut_image)  # same size: the photo untouched
    assert prepared.faces.shape == (1, 96, 96, 3)
    # Crops are BGR, as the published models were trained: blue and red swapped back = the photo.
    crop_rgb = prepared.faces[0, :, :, ::-1].astype(float)
    original = astronaut_image[y1:y2, x1:x2].astype(float)
    assert abs(crop_rgb.mean(axis=(0, 1)) - original.mean(axis=(0, 1))).max() < 3


def test_preparation_is_cached_and_reused_without_detecting_again(astronaut, tmp_path, monkeypatch):
    first = prepare_avatar(astronaut, 512, 512, 25, cache_dir=tmp_path / "cache")
    assert not first.from_cache and len(list((tmp_path / "cache").glob("*.npz"))) == 1

    def no_detection(frames):
        raise AssertionError("face detection ran again")

    monkeypatch.setattr(avatar_module, "detect_boxes", no_detection)
    again = prepare_avatar(astronaut, 512, 512, 25, cache_dir=tmp_path / "cache")
    assert again.from_cache
    assert np.array_equal(again.boxes, first.boxes) and np.array_equal(again.faces, first.faces)


def test_the_cache_sits_next_to_the_source_by_default(astronaut):
    prepare_avatar(astronaut, 256, 256, 25, face_box=[150, 50, 300, 200])
    assert list(astronaut.parent.glob("astronaut.png.wav2lip/*.npz"))


def test_a_manual_face_box_replaces_detection_and_follows_the_resize(astronaut, tmp_path, monkeypatch):
    monkeypatch.setattr(avatar_module, "detect_boxes", lambda frames: pytest.fail("detected"))
    # 512x512 fitted into 320x180: scaled to 180x180, centred 70 px from the left.
    prepared = prepare_avatar(astronaut, 320, 180, 25, face_box=[160, 60, 300, 200], cache_dir=tmp_path)
    assert prepared.frames.shape == (1, 180, 320, 3)
    assert prepared.boxes.tolist() == [[70 + 56, 21, 70 + 105, 70]]
    assert not prepared.frames[0, :, :69].any() and not prepared.frames[0, :, 251:].any()  # black bars


def test_an_image_without_a_face_asks_for_a_face_box(tmp_path):
    from PIL import Image

    path = tmp_path / "wall.png"
    Image.fromarray(np.full((120, 160, 3), 128, np.uint8)).save(path)
    with pytest.raises(NoFaceError, match="face box"):
        prepare_avatar(path, 160, 120, 25, cache_dir=tmp_path / "cache")


def test_an_unreadable_source_is_a_lipsync_error(tmp_path):
    path = tmp_path / "broken.mp4"
    path.write_bytes(b"no video here")
    with pytest.raises(LipSyncError, match="could not be read"):
        prepare_avatar(path, 160, 120, 25)


def test_a_loop_video_is_resampled_to_the_fps_and_played_back_and_forth(astronaut_image, tmp_path):
    av = pytest.importorskip("av")
    path = tmp_path / "loop.mp4"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = 256, 256, "yuv420p"
        for shift in range(5):  # the face slides right by 4 px a frame
            picture = np.roll(astronaut_image[::2, ::2], 4 * shift, axis=1)
            out.mux(stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(picture), format="rgb24")))
        out.mux(stream.encode(None))

    prepared = prepare_avatar(path, 256, 256, 20, cache_dir=tmp_path / "cache")

    assert len(prepared.frames) == 10  # 5 frames at 10 fps = 0.5 s = 10 frames at 20 fps
    assert prepared.loop_index.tolist() == [*range(10), *range(8, 0, -1)]
    lefts = prepared.boxes[:, 0]
    assert lefts[-1] - lefts[0] > 8 and np.all(np.diff(lefts) >= 0)  # the box follows the face


def test_box_smoothing_removes_a_one_frame_jump():
    boxes = np.array([[100, 100, 200, 200]] * 7, dtype=float)
    boxes[3] += 25
    smoothed = smooth_boxes(boxes)
    assert np.abs(np.diff(smoothed[:, 0])).max() <= 5
    assert smoothed[0].tolist() == [100, 100, 200, 200]
