"""A row's result: what the database says of each answer, against what the recordings show.

Per answer approved in the row (its clip and question at the end):
- aired once / aired twice: `Clip.aired_count` 1 / 2 or more;
- counted without being heard: airings counted (`aired_count`) beyond the airings heard whole in
  the recordings (bench/faults/heard.py);
- failed with a reason: the clip failed or was cancelled and says why (the question keeps it);
- stuck: none of those, and nothing about it moved (status, attempt, heartbeat, segments, airing)
  over STILL_S at the end; `in_progress` if something did;
- recover_s: from the row's fault (its end, for an outage) until every answer approved before
  then was seen aired or failed ("not recovered" if one never was; "n/a" for a row with none).
"""

from __future__ import annotations

import time
from dataclasses import asdict
from typing import Any

from bench.faults.heard import alignment, read_streamer, together_s
from bench.faults.rig import Rig

STILL_S = 10.0  # an unsettled answer that shows no change for this long is stuck
LINGER_MAX_S = 20.0  # after all settled: until nothing of the row is on air any more (a 2nd airing)


def finish(rig: Rig, timeout: float) -> dict[str, Any]:
    """Wait for the row's answers to settle (up to `timeout`), let a second airing finish, look
    for progress in those that did not settle, stop the studio; then the row's figures."""
    # A studio with no streamer left airs nothing more: no use waiting the whole timeout.
    rig.wait(lambda: rig.settled() or not rig.streaming(), "every answer to air or fail", timeout)
    rig.wait(lambda: not _on_air(rig.clips), "the clips on air to end", LINGER_MAX_S)
    time.sleep(3)  # a streamer counts an airing a moment after it ends
    moving = _moving(rig)
    rig.stop()
    return _figures(rig, moving)


def _on_air(clips: list[int]) -> bool:
    from aijesus.studio.models import Clip

    return Clip.objects.filter(pk__in=clips, on_air_since__isnull=False).exists()


def _snapshot(clips: list[int]) -> dict[int, tuple[Any, ...]]:
    from django.db.models import Count

    from aijesus.studio.models import Clip

    rows = Clip.objects.filter(pk__in=clips).annotate(n=Count("segments"))
    fields = ("status", "attempt", "heartbeat_at", "n", "aired_count", "on_air_since", "question__status")
    return {row["pk"]: tuple(row[f] for f in fields) for row in rows.values("pk", *fields)}


def _moving(rig: Rig) -> set[int]:
    unsettled = [c for c in rig.clips if c not in rig.settled_at]
    if not unsettled:
        return set()
    before = _snapshot(unsettled)
    rig.wait(lambda: rig.settled(), "the last answers", STILL_S)
    after = _snapshot(unsettled)
    return {c for c in unsettled if c in rig.settled_at or before.get(c) != after.get(c)}


def _figures(rig: Rig, moving: set[int]) -> dict[str, Any]:
    from django.db import close_old_connections

    from aijesus.studio.models import Clip

    close_old_connections()
    clips = {c.pk: c for c in Clip.objects.filter(pk__in=rig.clips).select_related("question")}
    durations = {pk: c.duration for pk, c in clips.items() if c.duration}
    streams = [read_streamer(s.name, s.log, s.recorder.sessions, durations) for s in rig.streamers]
    airings = [a for s in streams for a in s["airings"]]
    rows, counts = (
        [],
        dict.fromkeys(
            ("aired_once", "aired_twice", "counted_unheard", "failed_with_reason", "stuck", "in_progress"), 0
        ),
    )
    heard_twice = 0
    for pk in rig.clips:
        clip = clips[pk]
        mine = [a for a in airings if a.clip == pk]
        whole = sum(a.whole for a in mine)
        heard_twice += whole >= 2
        counts["counted_unheard"] += max(0, clip.aired_count - whole)
        reason = clip.error or (clip.question.status_reason if clip.question else "")
        if clip.aired_count >= 2:
            kind = "aired_twice"
        elif clip.aired_count == 1:
            kind = "aired_once"
        elif clip.status in ("failed", "cancelled") and reason:
            kind = "failed_with_reason"
        elif pk in moving:
            kind = "in_progress"
        else:
            kind = "stuck"
        counts[kind] += 1
        rows.append({
            "clip": pk, "outcome": kind, "status": clip.status, "attempt": clip.attempt,
            "aired_count": clip.aired_count, "question": clip.question.status if clip.question else None,
            "duration_s": clip.duration, "reason": reason[:200],
            "airings": [{"streamer": a.streamer, "attempt": a.attempt, "heard_s": a.heard_s, "whole": a.whole}
                        for a in mine],
        })  # fmt: skip
    return {
        "approved": len(rig.clips),
        **counts,
        "heard_whole_twice": heard_twice,
        "broadcasting_together_s": together_s(streams),
        "recover_s": _recover(rig),
        "alignment_s": alignment(airings),
        "processes_exited": rig.exited,
        "notes": rig.notes,
        "streamers": [
            {k: v for k, v in s.items() if k not in ("airings", "recordings")}
            | {"airings": len(s["airings"]), "recordings": [_relative(r, rig) for r in s["recordings"]]}
            for s in streams
        ],
        "marks": {k: round(v - rig.marks.get("start", v), 2) for k, v in rig.marks.items()},
        "clips": rows,
        "airings": [asdict(a) | {"wall": round(a.wall - rig.marks.get("start", 0), 2)} for a in airings],
    }


def _relative(recording: dict[str, Any], rig: Rig) -> dict[str, Any]:
    """A recording's start as seconds into the row, not a wall-clock time."""
    return recording | {"started": round(recording["started"] - rig.marks.get("start", 0), 1)}


def _recover(rig: Rig) -> float | str:
    """From the fault (the end of an outage) until every answer approved before then aired or
    failed: the backlog the fault left is cleared. "n/a" with no fault or no such answer;
    "not recovered" if one never settled."""
    since = rig.marks.get("restored", rig.marks.get("fault"))
    caught = [c for c in rig.clips if since is not None and rig.approved_at.get(c, since + 1) <= since]
    if not caught:
        return "n/a"
    if any(c not in rig.settled_at for c in caught):
        return "not recovered"
    return round(max(0.0, max(rig.settled_at[c] for c in caught) - since), 1)
