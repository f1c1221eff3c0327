import numpy as np
import pytest

torch = pytest.importorskip("torch")

from builder.lipsync.wav2lip.avatar import PreparedAvatar  # noqa: E402
from builder.lipsync.wav2lip.paste import DeviceAvatar, mouth_mask  # noqa: E402


def test_the_mouth_mask_is_feathered_and_zero_at_the_box_edges():
    mask = mouth_mask(96)
    assert mask.max() == 1 and mask[:40].max() == 0  # the upper face is never touched
    assert mask[:, :6].max() == 0 and mask[:, -6:].max() == 0 and mask[-1].max() == 0
    assert (mask[1:] - mask[:-1]).abs().max() < 0.2 and (mask[:, 1:] - mask[:, :-1]).abs().max() < 0.2


def avatar_of(colour: tuple[int, int, int], boxes: list[list[int]]) -> PreparedAvatar:
    frames = np.zeros((len(boxes), 120, 160, 3), np.uint8)
    frames[:] = (10, 20, 30)
    faces = np.zeros((len(boxes), 96, 96, 3), np.uint8)
    faces[:] = colour[::-1]  # crops are BGR
    return PreparedAvatar(frames, np.array(boxes, np.int32), faces)


def test_a_generated_face_takes_the_colour_of_the_original_crop():
    on_device = DeviceAvatar(avatar_of((200, 150, 100), [[10, 10, 70, 80]]), torch.device("cpu"))
    green = torch.zeros(1, 3, 96, 96)
    green[:, 1] = 0.9
    matched = on_device.colour_match(green, torch.tensor([0]))
    torch.testing.assert_close(matched[0, :, 60, 48] * 255, torch.tensor([100.0, 150.0, 200.0]))


def test_faces_land_in_each_frames_own_box_whatever_its_size_and_place():
    boxes = [[0, 0, 40, 60], [100, 50, 160, 120], [60, 20, 90, 50]]  # corner, bottom-right edge, small
    on_device = DeviceAvatar(avatar_of((250, 250, 250), boxes), torch.device("cpu"))
    white = torch.ones(3, 3, 96, 96)
    frames = on_device.paste(white, torch.tensor([0, 1, 2])).numpy()
    for frame, (x1, y1, x2, y2) in zip(frames, boxes, strict=True):
        changed = np.any(frame != (10, 20, 30), axis=2)
        ys, xs = np.nonzero(changed)
        assert x1 <= xs.min() and xs.max() < x2 and y1 + (y2 - y1) * 0.45 <= ys.min() and ys.max() < y2
        assert frame[(y1 + 3 * y2) // 4, (x1 + x2) // 2].tolist() == [250, 250, 250]


def test_the_blend_into_the_frame_has_no_hard_seam():
    on_device = DeviceAvatar(avatar_of((250, 250, 250), [[20, 10, 140, 110]]), torch.device("cpu"))
    frame = on_device.paste(torch.ones(1, 3, 96, 96), torch.tensor([0]))[0].numpy().astype(int)
    column, row = frame[:, 80, 0], frame[95, :, 0]  # down through the mouth, across it
    for line in (column, row):
        assert line.max() == 250 and line.min() == 10  # the face fully in the middle, the frame around
        assert np.abs(np.diff(line)).max() <= 0.2 * (250 - 10)  # at most a fifth of the step per pixel
