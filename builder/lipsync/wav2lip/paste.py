"""Generated faces back into full frames, on the device: resize, colour match, feathered blend.

One avatar lives on the device as uint8 frames, face crops and per-frame paste geometry. For a
batch, the 96x96 faces are colour-matched to the original crop, resampled into each frame's face
box by `grid_sample` (one call for the whole batch, whatever the box sizes) together with a
feathered mouth mask, and blended into copies of the frames. The mask is exactly 0 outside the
lower face, so every other pixel is the avatar's own, bit for bit, and there is no hard seam.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.nn import functional as F

from builder.lipsync.wav2lip.avatar import PreparedAvatar
from builder.lipsync.wav2lip.face import FACE_SIZE

# The mouth region in face-box fractions: (zero until, full from, full until, zero from).
MASK_ROWS = (0.45, 0.60, 0.86, 0.98)
MASK_COLS = (0.08, 0.24, 0.76, 0.92)
COLOUR_GAIN = (0.5, 2.0)  # limits on the contrast correction of a generated face


def _ramp(size: int, edges: tuple[float, float, float, float]) -> torch.Tensor:
    """0 → smooth rise → 1 → smooth fall → 0 along one axis, sampled at pixel centres."""
    t = (torch.arange(size, dtype=torch.float64) + 0.5) / size
    a, b, c, d = edges
    rise = ((t - a) / (b - a)).clamp(0, 1)
    fall = ((d - t) / (d - c)).clamp(0, 1)
    up, down = rise * rise * (3 - 2 * rise), fall * fall * (3 - 2 * fall)  # smoothstep: no kink
    return (up * down).float()


def mouth_mask(size: int = FACE_SIZE) -> torch.Tensor:
    """(size, size) blend weights of the generated face, 1 over the mouth, 0 at the box's edges."""
    return _ramp(size, MASK_ROWS)[:, None] * _ramp(size, MASK_COLS)[None, :]


class DeviceAvatar:
    """A prepared avatar on `device`, ready to give generator inputs and take generated faces."""

    def __init__(self, avatar: PreparedAvatar, device: torch.device) -> None:
        self.device = device
        self.frames = torch.from_numpy(avatar.frames).to(device)  # (N, H, W, 3) uint8 RGB
        self.faces = torch.from_numpy(avatar.faces).to(device).permute(0, 3, 1, 2)  # (N, 3, 96, 96) BGR
        self.mask = mouth_mask(avatar.faces.shape[1]).to(device)[None, None]  # 96 (Wav2Lip) or 256 (MuseTalk)
        _, height, width, _ = avatar.frames.shape
        boxes = torch.from_numpy(avatar.boxes.astype(np.int64)).to(device)
        self.box_w, self.box_h = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
        # Every frame blends a region of one size (the largest box), placed inside the frame; the
        # box sits at an offset in it. One size lets a whole batch go through one grid_sample.
        self.region = (int(self.box_h.max()), int(self.box_w.max()))
        self.region_y = boxes[:, 1].clamp(max=height - self.region[0])
        self.region_x = boxes[:, 0].clamp(max=width - self.region[1])
        self.off_y, self.off_x = boxes[:, 1] - self.region_y, boxes[:, 0] - self.region_x

    def inputs(self, idx: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
        """(B, 6, 96, 96) generator input: the crop with its lower half black, then the whole crop."""
        reference = self.faces[idx].to(dtype) / 255
        masked = reference.clone()
        masked[:, :, FACE_SIZE // 2 :] = 0
        return torch.cat((masked, reference), dim=1).contiguous(memory_format=torch.channels_last)

    def colour_match(self, generated: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
        """Shift and scale each channel of the faces to the original crop's, over the mouth mask."""
        reference = self.faces[idx].float() / 255
        weight = self.mask / self.mask.sum()

        def stats(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            mean = (x * weight).sum((2, 3), keepdim=True)
            return mean, ((x - mean).square() * weight).sum((2, 3), keepdim=True).sqrt()

        mean_g, std_g = stats(generated)
        mean_r, std_r = stats(reference)
        gain = (std_r / std_g.clamp_min(1e-4)).clamp(*COLOUR_GAIN)
        return ((generated - mean_g) * gain + mean_r).clamp(0, 1)

    def paste(self, generated: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
        """(B, H, W, 3) uint8 RGB frames: avatar frames `idx` with the generated faces (B, 3, S, S,
        BGR, in [0, 1], S the crops' size) blended into their mouth regions."""
        # nan_to_num: a NaN from an fp16 overflow must not leak through the exact-0 alpha outside the mouth.
        faces = self.colour_match(generated.float().nan_to_num(0.5), idx).flip(1)  # BGR -> RGB
        batch = idx.numel()
        rh, rw = self.region
        ys = torch.arange(rh, device=self.device)
        xs = torch.arange(rw, device=self.device)
        # Region pixel centre -> the face's normalised coordinates (-1..1 spans the box exactly).
        v = (ys[None] - self.off_y[idx, None] + 0.5) / self.box_h[idx, None] * 2 - 1  # (B, rh)
        u = (xs[None] - self.off_x[idx, None] + 0.5) / self.box_w[idx, None] * 2 - 1  # (B, rw)
        grid = torch.stack(torch.broadcast_tensors(u[:, None, :], v[:, :, None]), dim=-1)
        sources = torch.cat((faces, self.mask.expand(batch, 1, -1, -1)), dim=1)
        sampled = F.grid_sample(sources, grid.float(), padding_mode="zeros", align_corners=False)
        face, alpha = sampled[:, :3].permute(0, 2, 3, 1) * 255, sampled[:, 3:].permute(0, 2, 3, 1)

        out = self.frames[idx]
        b = torch.arange(batch, device=self.device)[:, None, None]
        rows = (self.region_y[idx, None] + ys[None])[:, :, None]
        cols = (self.region_x[idx, None] + xs[None])[:, None, :]
        region = out[b, rows, cols].float()
        # alpha is exactly 0 away from the mouth, where this gives back the original value exactly.
        out[b, rows, cols] = (region + alpha * (face - region)).round_().clamp_(0, 255).to(torch.uint8)
        return out
