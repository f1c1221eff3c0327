"""Burned-in graphics: drawn once, blended only where they are, hostile text drawn as text."""

import numpy as np

from builder.media import MediaFormat
from builder.overlay import caption, question_banner, with_overlays

FMT = MediaFormat(width=640, height=360, fps=25)


def frames(n: int = 3) -> list[np.ndarray]:
    return [np.full((FMT.height, FMT.width, 3), 90 + i, np.uint8) for i in range(n)]


def test_the_banner_changes_only_its_own_region():
    banner = question_banner("alice", "What is forgiveness?", FMT)
    original = frames(1)[0]
    out = banner.apply(original.copy())
    h, w = banner.alpha.shape[:2]
    changed = np.any(out != original, axis=2)
    assert changed[banner.y : banner.y + h, banner.x : banner.x + w].any()
    changed[banner.y : banner.y + h, banner.x : banner.x + w] = False
    assert not changed.any()
    assert banner.y < FMT.height // 4, "the question sits at the top"


def test_hostile_text_is_drawn_not_interpreted_and_long_text_is_shortened():
    hostile = "<script>alert(1)</script> ‮ evil " + "very long " * 200
    banner = question_banner("<b>mallory</b>", hostile, FMT)
    assert banner.alpha.shape[1] <= FMT.width
    sub = caption(hostile, FMT)
    assert sub.alpha.shape[1] <= FMT.width and sub.y + sub.alpha.shape[0] <= FMT.height


def test_overlays_apply_to_every_frame_in_order():
    shown = list(with_overlays(iter(frames(3)), [question_banner("a", "b?", FMT), caption("Peace.", FMT)]))
    plain = frames(3)
    assert all(np.any(a != b) for a, b in zip(shown, plain, strict=True))
