"""The Wav2Lip generator: a face encoder, an audio encoder and a U-Net decoder.

Parameter names and shapes follow the published checkpoints exactly, so their `state_dict` loads
strictly: `face_encoder_blocks`, `audio_encoder`, `face_decoder_blocks`, `output_block`, each
convolution wrapped as `conv_block` = (conv, batch norm) then ReLU, optionally residual.

Inputs: mel windows (B, 1, 80, 16) and faces (B, 6, 96, 96) in [0, 1] — the 96x96 crop with its
lower half blacked out, then the same crop whole as the identity reference (BGR, as the published
models were trained on OpenCV images). Output: the face (B, 3, 96, 96) in [0, 1], BGR.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


class Conv(nn.Module):
    """Conv + BatchNorm + ReLU; `residual` adds the input back before the ReLU (same shape)."""

    def __init__(
        self, cin: int, cout: int, kernel: int, stride: int | tuple[int, int] = 1, padding: int = 1,
        residual: bool = False,
    ) -> None:  # fmt: skip
        super().__init__()
        self.conv_block = nn.Sequential(nn.Conv2d(cin, cout, kernel, stride, padding), nn.BatchNorm2d(cout))
        self.residual = residual

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv_block(x)
        if self.residual:
            out = out + x
        return F.relu(out, inplace=True)


class UpConv(nn.Module):
    """Transposed conv (x2 upsampling, or 1x1 -> 3x3 at the bottom) + BatchNorm + ReLU."""

    def __init__(self, cin: int, cout: int, stride: int, padding: int, output_padding: int) -> None:
        super().__init__()
        self.conv_block = nn.Sequential(
            nn.ConvTranspose2d(cin, cout, 3, stride, padding, output_padding), nn.BatchNorm2d(cout)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.conv_block(x), inplace=True)


def _residuals(channels: int, n: int) -> list[nn.Module]:
    return [Conv(channels, channels, 3, 1, 1, residual=True) for _ in range(n)]


def _down(cin: int, cout: int, n_res: int) -> nn.Sequential:
    """Halve the size, then `n_res` residual convs."""
    return nn.Sequential(Conv(cin, cout, 3, 2, 1), *_residuals(cout, n_res))


def _up(cin: int, cout: int, n_res: int) -> nn.Sequential:
    """Double the size, then `n_res` residual convs."""
    return nn.Sequential(UpConv(cin, cout, 2, 1, 1), *_residuals(cout, n_res))


class Wav2Lip(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        # 96 -> 48 -> 24 -> 12 -> 6 -> 3 -> 1; every stage's output is a skip connection.
        self.face_encoder_blocks = nn.ModuleList(
            [
                nn.Sequential(Conv(6, 16, 7, 1, 3)),
                _down(16, 32, 2),
                _down(32, 64, 3),
                _down(64, 128, 2),
                _down(128, 256, 2),
                _down(256, 512, 1),
                nn.Sequential(Conv(512, 512, 3, 1, 0), Conv(512, 512, 1, 1, 0)),
            ]
        )
        # 80x16 mel window -> 27x16 -> 9x6 -> 3x3 -> 1x1, 512 channels.
        self.audio_encoder = nn.Sequential(
            Conv(1, 32, 3, 1, 1), *_residuals(32, 2),
            Conv(32, 64, 3, (3, 1), 1), *_residuals(64, 2),
            Conv(64, 128, 3, 3, 1), *_residuals(128, 2),
            Conv(128, 256, 3, (3, 2), 1), *_residuals(256, 1),
            Conv(256, 512, 3, 1, 0), Conv(512, 512, 1, 1, 0),
        )  # fmt: skip
        # Each block's output is concatenated with the matching encoder output (hence cin).
        self.face_decoder_blocks = nn.ModuleList(
            [
                nn.Sequential(Conv(512, 512, 1, 1, 0)),
                nn.Sequential(UpConv(1024, 512, 1, 0, 0), *_residuals(512, 1)),
                _up(1024, 512, 2),
                _up(768, 384, 2),
                _up(512, 256, 2),
                _up(320, 128, 2),
                _up(160, 64, 2),
            ]
        )
        self.output_block = nn.Sequential(Conv(80, 32, 3, 1, 1), nn.Conv2d(32, 3, 1, 1, 0), nn.Sigmoid())

    def forward(self, mel: torch.Tensor, faces: torch.Tensor) -> torch.Tensor:
        x = self.audio_encoder(mel)
        skips = []
        y = faces
        for block in self.face_encoder_blocks:
            y = block(y)
            skips.append(y)
        for block, skip in zip(self.face_decoder_blocks, reversed(skips), strict=True):
            x = torch.cat((block(x), skip), dim=1)
        return self.output_block(x)


def fold_batchnorm(model: nn.Module) -> nn.Module:
    """Fold each eval-mode BatchNorm into the conv before it (inference only, in place).

    Same output, one kernel instead of two per layer. Done after a strict load, so the checkpoint
    layout is checked first; the folded model no longer has that layout.
    """
    for module in model.modules():
        block = getattr(module, "conv_block", None)
        if not isinstance(block, nn.Sequential) or not isinstance(block[1], nn.BatchNorm2d):
            continue
        conv, bn = block[0], block[1]
        scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
        shift = bn.bias - bn.running_mean * scale
        with torch.no_grad():
            # Conv2d weights are (out, in, k, k); ConvTranspose2d weights are (in, out, k, k).
            if isinstance(conv, nn.ConvTranspose2d):
                conv.weight.mul_(scale.view(1, -1, 1, 1))
            else:
                conv.weight.mul_(scale.view(-1, 1, 1, 1))
            conv.bias.mul_(scale).add_(shift)
        block[1] = nn.Identity()
    return model
