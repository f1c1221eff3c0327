"""Approval → on-air latency and per-stage build times over the last clips, for the chart."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any

from aijesus.studio.models import Clip

# Stages drawn as stacked bars, in the order they happen after a moderator approves.
STAGES = (
    ("wait", "waiting for a worker"),
    ("first_segment", "first segment built"),
    ("to_air", "until on air"),
)


@dataclass(frozen=True)
class ClipLatency:
    clip: int
    label: str
    wait: float  # approval → a worker claimed it
    first_segment: float  # claim → first segment ready
    total_build: float | None  # claim → whole clip ready
    on_air: float | None  # approval → first frame on air

    @property
    def to_air(self) -> float:
        """The rest of approval → on air once the first segment exists (streamer pickup)."""
        if self.on_air is None:
            return 0.0
        return max(0.0, self.on_air - self.wait - self.first_segment)


def _seconds(later: Any, earlier: Any) -> float | None:
    if later is None or earlier is None:
        return None
    return max(0.0, (later - earlier).total_seconds())


def recent_latencies(limit: int) -> list[ClipLatency]:
    """The last `limit` answers' times, oldest first. Only the columns the chart needs are read:
    whole rows (answer texts, questions) made 1000 clips cost ~0.2 s."""
    clips = (
        Clip.objects.filter(status=Clip.Status.READY, question__isnull=False, started_at__isnull=False)
        .order_by("-created_at")
        .values_list("pk", "created_at", "started_at", "first_aired_at", "timings")[:limit]
    )
    rows = []
    for pk, created_at, started_at, first_aired_at, timings in reversed(list(clips)):
        rows.append(
            ClipLatency(
                clip=pk,
                label=f"#{pk}",
                wait=_seconds(started_at, created_at) or 0.0,
                first_segment=float(timings.get("first_segment") or 0.0),
                total_build=timings.get("total"),
                on_air=_seconds(first_aired_at, created_at),
            )
        )
    return rows


def summary(rows: list[ClipLatency]) -> dict[str, float | None]:
    def median(values: list[float]) -> float | None:
        return round(statistics.median(values), 2) if values else None

    on_air = [r.on_air for r in rows if r.on_air is not None]
    return {
        "clips": len(rows),
        "on_air_median": median(on_air),
        "on_air_worst": round(max(on_air), 2) if on_air else None,
        "first_segment_median": median([r.first_segment for r in rows]),
        "wait_median": median([r.wait for r in rows]),
    }


def chart(rows: list[ClipLatency], width: int = 900, height: int = 240) -> dict[str, Any]:
    """Stacked bars in SVG user units; the template draws them (and escapes every label)."""
    top = max([r.wait + r.first_segment + r.to_air for r in rows] + [1.0])
    slot = width / max(len(rows), 1)
    bars = []
    for i, row in enumerate(rows):
        y = float(height)
        parts = []
        for key, label in STAGES:
            value = getattr(row, key)
            h = value / top * height
            y -= h
            parts.append(
                {"key": key, "label": label, "seconds": round(value, 2), "y": round(y, 1), "h": round(h, 1)}
            )
        bars.append(
            {"x": round(i * slot + slot * 0.15, 1), "w": round(slot * 0.7, 1), "row": row, "parts": parts}
        )
    ticks = [
        {"y": round(height - height * f, 1), "seconds": round(top * f, 1)} for f in (0.25, 0.5, 0.75, 1.0)
    ]
    return {"width": width, "height": height, "bars": bars, "ticks": ticks, "stages": STAGES}
