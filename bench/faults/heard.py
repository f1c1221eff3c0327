"""What each streamer put on air, read back from its recordings and its log.

A streamer logs "on air: clip N attempt A" as a clip starts, and "encoder: …" as an ffmpeg of
its starts; each encoder's output is one recorded session (bench/faults/recorder.py), the one
whose file appeared first after that encoder started, and its time 0 is that start. Frame k is
written at the encoder's start + k / fps on the streamer's pacer (which catches up when late), so
an event's log time less its encoder's start is where it sits in that session, to a few frames.
An airing lasts until the streamer's next airing in the session (or the session's end); what was
heard of it is the span from the first to the last loud sample in that window (the idle loop is
silent). It was heard whole if the span covers
the clip's length less the silence a voice leaves at its two ends (HEARD_SLACK_S; the control
row shows the margin).

The mapping is checked: for each airing with sound, how far its first loud sample is from where
the log puts its start ("alignment_s"; large values would mean the mapping failed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.faults.recorder import Session
from bench.soak_check import check, loud_spans

HEARD_SLACK_S = 0.8  # a whole clip's span is its length less the voice's leading/trailing silence
# An airing's window opens this long before its log line: the line comes a frame or two before
# the clip's first frame, and a clip aired right after another must not take in its last words.
EARLY_S = 0.1
STAMP = r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) \w+ "
ON_AIR = re.compile(STAMP + r"streamer\.runner: on air: clip (\d+) attempt (\d+)", re.M)
ENCODER = re.compile(STAMP + r"streamer\.encoder: encoder: ", re.M)
_CANNOT_PLAY = re.compile(r"cannot play segment", re.M)


@dataclass
class Airing:
    streamer: str
    clip: int
    attempt: int
    wall: float  # when the log says it went on air
    at_s: float | None  # where that is in the recording
    heard_s: float = 0.0
    whole: bool = False
    onset_s: float | None = None  # the first loud sample in its window, recording time


def stamp(text: str) -> float:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S,%f").timestamp()


def read_streamer(
    name: str, log: Path, sessions: list[Session], durations: dict[int, float]
) -> dict[str, Any]:
    """The airings of one streamer process, each judged heard whole or not, and its recorded
    sessions' figures (gaps, A/V drift: bench.soak_check)."""
    text = log.read_text(errors="replace") if log.exists() else ""
    encoders = [stamp(m.group(1)) for m in ENCODER.finditer(text)]
    airings = [
        Airing(name, int(m.group(2)), int(m.group(3)), stamp(m.group(1)), None) for m in ON_AIR.finditer(text)
    ]
    recorded = []
    for session in sessions:
        # Its encoder: the last one started before the file appeared.
        start = max((e for e in encoders if e <= session.appeared), default=None)
        if start is not None and _playable(session.path):
            recorded.append((start, session.path))
    for i, (start, path) in enumerate(recorded):
        until = recorded[i + 1][0] if i + 1 < len(recorded) else float("inf")
        mine = [a for a in airings if start <= a.wall < until]
        spans = loud_spans(path)
        for k, airing in enumerate(mine):
            airing.at_s = airing.wall - start
            end = mine[k + 1].wall - start if k + 1 < len(mine) else float("inf")
            _judge(airing, spans, airing.at_s - EARLY_S, end - EARLY_S, durations.get(airing.clip))
    return {
        "streamer": name,
        "airings": airings,
        "encoder_starts": len(encoders),
        "sessions_recorded": len(recorded),
        "cannot_play": len(_CANNOT_PLAY.findall(text)),
        "recordings": [_recording_figures(path) | {"started": start} for start, path in recorded],
    }


def together_s(streams: list[dict[str, Any]]) -> float:
    """Seconds during which two or more streamers were broadcasting at once (their recorded
    sessions overlap in wall time): two publishers on one stream key."""
    spans = [(r["started"], r["started"] + r.get("seconds", 0.0)) for s in streams for r in s["recordings"]]
    edges = sorted([(a, 1) for a, _ in spans] + [(b, -1) for _, b in spans])
    total, live, since = 0.0, 0, 0.0
    for at, step in edges:
        if live >= 2:
            total += at - since
        live, since = live + step, at
    return round(total, 1)


def _judge(airing: Airing, spans: list[tuple[float, float]], lo: float, hi: float,
           duration: float | None) -> None:  # fmt: skip
    inside = [(max(a, lo), min(b, hi)) for a, b in spans if b > lo and a < hi]
    if not inside:
        return
    airing.onset_s = inside[0][0]
    airing.heard_s = round(inside[-1][1] - inside[0][0], 2)
    airing.whole = duration is not None and airing.heard_s >= duration - HEARD_SLACK_S


def _playable(recording: Path) -> bool:
    return recording.exists() and recording.stat().st_size > 1024


def _recording_figures(recording: Path) -> dict[str, Any]:
    """Gaps and order of the timestamps, and the end of the audio against the end of the video."""
    from bench.faults.rig import STUDIO_ENV
    from streamer.config import TWITCH_720P

    try:
        figures = check(recording, int(STUDIO_ENV["STREAM_FPS"]), TWITCH_720P.sample_rate)
    except Exception as exc:  # noqa: BLE001 — a recording cut by SIGKILL may end mid-packet
        return {"error": f"{type(exc).__name__}: {exc}"}
    return {
        "seconds": round(figures["video"]["frames_decoded"] / int(STUDIO_ENV["STREAM_FPS"]), 1),
        "video_gaps": figures["video"]["gaps"],
        "audio_gaps": figures["audio"]["gaps"],
        "not_increasing": figures["video"]["not_increasing"] + figures["audio"]["not_increasing"],
        "end_drift_ms": figures["end_drift_ms"],
    }


def alignment(airings: list[Airing]) -> float | None:
    """The largest distance between where the log puts an airing with sound and its first loud
    sample: the error of the log-to-recording mapping (plus a voice's leading silence)."""
    gaps = [abs(a.onset_s - a.at_s) for a in airings if a.onset_s is not None and a.at_s is not None]
    return round(max(gaps), 2) if gaps else None
