"""What a long FLV recording of the stream shows: timestamp gaps and order, and A/V sync per answer.

`check(path, ...)` reads the file once, packet by packet (hours of stream never sit in memory):

- video and audio timestamps: every step against the one a frame (1000/fps ms, so 33 or 34 at 30
  fps in FLV's millisecond time base) or an AAC frame (1024 samples: 21 or 22 ms at 48 kHz) should
  take; a longer step is a gap, a step of zero or less breaks monotonicity;
- the end of the audio against the end of the video (the drift over the whole recording);
- each answer: its first and last frame (frames of the answer's colour, found by a scaled-down
  decode of every frame) against the audio's onset and end (the first and last sample above a
  threshold around it). The offset at each answer's start is what a viewer would see as lip sync;
  how it moves from the first answer to the last is the drift.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import av
import numpy as np

LOUD = 0.05  # |sample| above this (full scale 1.0) is the answer's voice; the idle loop is silent
_COLOUR_TOLERANCE = 30  # per channel, on a frame's mean colour: compression moves it a little
_QUIET = 0.01  # seconds below LOUD that end a loud stretch


@dataclass
class _Track:
    """The steps between one stream's timestamps, as counts (never the whole list)."""

    expected: set[int]
    last: int | None = None
    count: int = 0
    gaps: int = 0
    largest_gap_ms: int = 0
    backwards: int = 0

    def add(self, pts: int) -> None:
        if self.last is not None:
            step = pts - self.last
            if step <= 0:
                self.backwards += 1
            elif step not in self.expected and step > max(self.expected):
                self.gaps += 1
                self.largest_gap_ms = max(self.largest_gap_ms, step)
        self.last = pts
        self.count += 1

    def figures(self) -> dict[str, int]:
        return {"packets": self.count, "gaps": self.gaps, "largest_gap_ms": self.largest_gap_ms,
                "not_increasing": self.backwards}  # fmt: skip


@dataclass
class _Run:
    first: int  # frame number
    frames: int
    start: float  # seconds: the first frame's timestamp
    end: float  # the last frame's timestamp plus one frame


@dataclass
class _Runs:
    """Runs of the answers' frames."""

    runs: list[_Run] = field(default_factory=list)
    inside: bool = False

    def add(self, index: int, time: float, duration: float, is_answer: bool) -> None:
        if is_answer and self.inside:
            self.runs[-1].frames += 1
            self.runs[-1].end = time + duration
        elif is_answer:
            self.runs.append(_Run(index, 1, time, time + duration))
        self.inside = is_answer


@dataclass
class _Sound:
    """Where the audio turns loud, and silent again, in seconds. A tone dips below the threshold
    near each zero crossing (well under a millisecond); silence means `_QUIET` of it."""

    onsets: list[float] = field(default_factory=list)
    ends: list[float] = field(default_factory=list)
    loud: bool = False
    last_loud: float = 0.0
    samples: int = 0

    def add(self, start: float, rate: int, mono: np.ndarray) -> None:
        self.samples += mono.size
        times = start + np.flatnonzero(np.abs(mono) > LOUD) / rate
        if times.size:
            if not self.loud:
                self.onsets.append(float(times[0]))
            elif times[0] - self.last_loud >= _QUIET:
                self.ends.append(self.last_loud)
                self.onsets.append(float(times[0]))
            for gap in np.flatnonzero(np.diff(times) >= _QUIET):
                self.ends.append(float(times[gap]) + 1 / rate)
                self.onsets.append(float(times[gap + 1]))
            self.loud, self.last_loud = True, float(times[-1]) + 1 / rate
        if self.loud and start + mono.size / rate - self.last_loud >= _QUIET:
            self.ends.append(self.last_loud)
            self.loud = False

    def finish(self) -> None:
        if self.loud:
            self.ends.append(self.last_loud)
            self.loud = False


def check(
    path: Path, fps: int, sample_rate: int, answer_rgb: tuple[int, int, int] | None = None
) -> dict[str, Any]:
    """The figures above for the recording at `path` (FLV: millisecond timestamps). Without
    `answer_rgb` (a recording of the real character, whose answers have no colour of their own)
    every frame is still decoded and counted, and "answers" is None."""
    frame_ms = 1000 / fps
    video = _Track({int(frame_ms), int(frame_ms) + 1})
    aac_ms = 1024 * 1000 / sample_rate
    audio = _Track({int(aac_ms), int(aac_ms) + 1})
    runs, sound = _Runs(), _Sound()
    colour = None if answer_rgb is None else np.array(answer_rgb, np.float32)
    frames, last_audio_end = 0, 0.0
    with av.open(str(path)) as container:
        for packet in container.demux():
            if packet.pts is None:  # the demuxer's final flush
                continue
            if packet.stream.type == "video":
                video.add(packet.pts)
                for frame in packet.decode():
                    if colour is not None:
                        # A 16x9 thumbnail is enough to tell the answer's colour from the character.
                        small = frame.reformat(width=16, height=9, format="rgb24").to_ndarray()
                        mean = small.reshape(-1, 3).mean(axis=0)
                        answer = bool(np.abs(mean - colour).max() < _COLOUR_TOLERANCE)
                        runs.add(frames, float(frame.time), 1 / fps, answer)
                    frames += 1
            elif packet.stream.type == "audio":
                audio.add(packet.pts)
                last_audio_end = _hear(packet, sound) or last_audio_end
    sound.finish()
    video_end = (video.last or 0) / 1000 + 1 / fps
    return {
        "video": {**video.figures(), "frames_decoded": frames},
        "audio": {**audio.figures(), "samples_decoded": sound.samples},
        "end_drift_ms": round((last_audio_end - video_end) * 1000, 1),
        "answers": None if colour is None else _answers(runs.runs, sound),
    }


def loud_spans(path: Path, *, bridge: float = 0.0) -> list[tuple[float, float]]:
    """Where the recording's audio is loud (an answer speaking; the idle loop is silent), as
    (start, end) seconds of stream time; quiet stretches shorter than `bridge` are bridged (the
    pauses between words and sentences). Reads the audio packets only."""
    sound = _Sound()
    with av.open(str(path)) as container:
        if not container.streams.audio:
            return []
        for packet in container.demux(audio=0):
            if packet.pts is not None:
                _hear(packet, sound)
    sound.finish()
    spans: list[tuple[float, float]] = []
    for onset, end in zip(sound.onsets, sound.ends, strict=False):
        if spans and onset - spans[-1][1] < bridge:
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((onset, end))
    return spans


def _hear(packet: av.Packet, sound: _Sound) -> float | None:
    """Decodes an audio packet into `sound`; returns where its audio ends (seconds)."""
    end = None
    for frame in packet.decode():
        mono = frame.to_ndarray().reshape(len(frame.layout.channels), -1).mean(axis=0)
        start = float(frame.time)
        sound.add(start, frame.sample_rate, mono)
        end = start + frame.samples / frame.sample_rate
    return end


def _answers(runs: list[_Run], sound: _Sound) -> dict[str, Any]:
    """Each answer's picture matched with the sound nearest it; offsets are audio minus video."""
    starts, ends, unmatched = [], [], 0
    lengths = [run.frames for run in runs]
    for run in runs:
        onset, end = _nearest(sound.onsets, run.start), _nearest(sound.ends, run.end)
        if onset is None or end is None or abs(onset - run.start) > 0.5 or abs(end - run.end) > 0.5:
            unmatched += 1
            continue
        starts.append((onset - run.start) * 1000)
        ends.append((end - run.end) * 1000)
    return {
        "found": len(runs),
        "unmatched": unmatched,
        "frames_each_min_max": [min(lengths, default=0), max(lengths, default=0)],
        "start_offset_ms": _spread(starts),
        "end_offset_ms": _spread(ends),
        # The same offsets over time: how far the last answers sit from the first ones.
        "start_offset_drift_ms": (
            round(_edge_mean(starts, last=True) - _edge_mean(starts, last=False), 2) if starts else None
        ),
        "first_frames": [r.first for r in runs],
    }


def _nearest(times: list[float], t: float) -> float | None:
    if not times:
        return None
    index = int(np.searchsorted(times, t))
    near = [times[i] for i in (index - 1, index) if 0 <= i < len(times)]
    return min(near, key=lambda x: abs(x - t))


def _spread(values: list[float]) -> dict[str, float] | None:
    if not values:
        return None
    return {"min": round(min(values), 2), "mean": round(statistics.fmean(values), 2),
            "max": round(max(values), 2), "stdev": round(statistics.pstdev(values), 2)}  # fmt: skip


def _edge_mean(values: list[float], *, last: bool) -> float:
    """The mean of the first (or last) tenth of `values`, at least one."""
    n = max(1, len(values) // 10)
    return statistics.fmean(values[-n:] if last else values[:n])
