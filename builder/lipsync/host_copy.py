"""Finished frames from the GPU to the host, overlapped with the next batch's compute.

Each batch of frames computed on the device is copied into pinned host memory on a second CUDA
stream while the compute stream goes on with the next batch; a batch is handed on once its copy
is done. Only finished frames cross. On the CPU the frames are simply passed through.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator

import torch

LOOKAHEAD = 1  # batches computing on the GPU while the host takes the previous one


def to_host(
    batches: Iterator[torch.Tensor], device: torch.device, copier: torch.cuda.Stream | None
) -> Iterator[torch.Tensor]:
    """(B, H, W, 3) uint8 frames on `device` → the same on the host (pinned on CUDA), in order."""
    if copier is None:
        for frames in batches:
            yield frames.cpu()
        return
    compute = torch.cuda.current_stream(device)
    pending: deque[tuple[torch.Tensor, torch.cuda.Event]] = deque()
    for frames in batches:
        ready = torch.cuda.Event()
        ready.record(compute)
        host = torch.empty(frames.shape, dtype=torch.uint8, pin_memory=True)
        with torch.cuda.stream(copier):
            copier.wait_event(ready)
            host.copy_(frames, non_blocking=True)
            # The compute stream must not reuse this memory before the copy has read it.
            frames.record_stream(copier)
            copied = torch.cuda.Event()
            copied.record(copier)
        pending.append((host, copied))
        if len(pending) > LOOKAHEAD:
            yield _collect(pending)
    while pending:
        yield _collect(pending)


def _collect(pending: deque[tuple[torch.Tensor, torch.cuda.Event]]) -> torch.Tensor:
    host, copied = pending.popleft()
    copied.synchronize()
    return host
