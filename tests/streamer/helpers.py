"""Real things for the streamer tests: an RTMP server, clips made with the builder's encoder, a
streamer on a thread, and PyAV readers for what the server recorded."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import av
import numpy as np
from django.db import transaction

from aijesus.studio import lifecycle
from aijesus.studio.models import Clip
from aijesus.studio.services import question_approve, question_submit
from builder.encode.ffmpeg import ffmpeg_binary
from builder.encode.segment import encode_segment
from builder.media import MediaFormat
from streamer.outputs import Outputs
from streamer.runner import Streamer
from streamer.sources import IdleSource

KEY = "live_test_0123456789abcdef"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RtmpServer:
    """`ffmpeg -listen 1`: takes one publisher on 127.0.0.1 and copies what it sends into an FLV.

    Only a publisher that names the stream `KEY` is taken. ffmpeg itself merely warns of another
    stream name ("Unexpected stream X, expecting KEY"); on that warning the server is killed at
    once, which drops the connection as an ingest refusing a wrong key does, and `refused` says so.
    """

    def __init__(self, port: int, out: Path) -> None:
        self.port, self.out = port, out
        self.refused: str | None = None
        self._err: list[str] = []
        self.proc = subprocess.Popen(
            # It waits up to two minutes for its publisher: a streamer that starts slowly on a
            # loaded machine (drawing its character first) must still find it there.
            [ffmpeg_binary(), "-hide_banner", "-loglevel", "warning", "-y", "-listen", "1", "-timeout", "120",
             # Probe briefly so the recording starts at once (a killed server keeps what it got).
             "-analyzeduration", "500000",
             "-i", f"rtmp://127.0.0.1:{port}/live/{KEY}",
             "-c", "copy", "-flush_packets", "1", "-f", "flv", str(out)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        self._reader = threading.Thread(target=self._read_stderr, name="rtmp-server-stderr", daemon=True)
        self._reader.start()

    def _read_stderr(self) -> None:
        assert self.proc.stderr
        for raw in self.proc.stderr:
            line = raw.decode("utf-8", "replace")
            self._err.append(line)
            if "Unexpected stream" in line and self.refused is None:
                self.refused = line.strip()
                self.proc.kill()

    @property
    def url(self) -> str:
        return f"rtmp://127.0.0.1:{self.port}/live"

    def finish(self, timeout: float = 10) -> str:
        """Wait for the publisher to end the stream; what the server said."""
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._reader.join(5)
        return "".join(self._err)

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait()
        self._reader.join(5)


def solid(rgb: tuple[int, int, int], n: int, fmt: MediaFormat) -> Iterator[np.ndarray]:
    for _ in range(n):
        yield np.full((fmt.height, fmt.width, 3), rgb, np.uint8)


def tone(seconds: float, freq: float, rate: int = 48_000) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    return np.round(0.4 * 32767 * np.sin(2 * np.pi * freq * t)).astype(np.int16)


@dataclass(frozen=True)
class Encoded:
    """A segment file encoded ahead of its clip; `media` is relative to MEDIA_ROOT."""

    media: str
    duration: float


Segments = Iterable[tuple[Iterable[np.ndarray], np.ndarray]]


def encode_segments(media_root: Path, segments: Segments, fmt: MediaFormat, stem: str) -> list[Encoded]:
    """Segment files encoded like the builder's, for a clip `make_clip` records later."""
    (media_root / "segments").mkdir(parents=True, exist_ok=True)
    encoded = []
    for index, (frames, pcm) in enumerate(segments):
        name = f"segments/{stem}-{index}.mp4"
        info = encode_segment(frames, pcm, 48_000, media_root / name, fmt)
        encoded.append(Encoded(name, info.duration))
    return encoded


@contextlib.contextmanager
def appearing_together() -> Iterator[None]:
    """Clips made inside appear to a streamer at the same moment: one transaction. No build task
    is sent for them (the test plays the builder's part); the stand-in outlives the commit, which
    is when the build tasks would go out."""
    with mock.patch.object(lifecycle, "send"), transaction.atomic():
        yield


def make_clip(
    persona: object,
    media_root: Path,
    segments: Segments | list[Encoded],
    fmt: MediaFormat,
    *,
    priority: float = 0.0,
    text: str = "a question",
) -> Clip:
    """A ready clip (and its ready question) with the given segments: frames and audio to encode
    like the builder does, or files `encode_segments` made already.

    The clip becomes visible to a streamer only once it is ready (one transaction). Clips made one
    after the other appear one after the other, so a streamer may pick the first before the next
    is there: make them inside `appearing_together()` when the test is about their order.
    """
    with appearing_together():
        return _make_clip(persona, media_root, segments, fmt, priority=priority, text=text)


def _make_clip(
    persona: object,
    media_root: Path,
    segments: Segments | list[Encoded],
    fmt: MediaFormat,
    *,
    priority: float,
    text: str,
) -> Clip:
    clip = question_approve(question=question_submit(text=text, viewer_name="viewer", priority=priority))
    claim = lifecycle.claim(clip_id=clip.pk, worker="test")
    if not (isinstance(segments, list) and all(isinstance(s, Encoded) for s in segments)):
        segments = encode_segments(media_root, segments, fmt, f"clip{clip.pk}")
    for index, segment in enumerate(segments):
        lifecycle.record_segment(
            clip_id=clip.pk, attempt=claim.attempt, index=index, media=segment.media,
            duration=segment.duration, text="",
        )  # fmt: skip
    lifecycle.finish(clip_id=clip.pk, attempt=claim.attempt, duration=sum(s.duration for s in segments))
    clip.refresh_from_db()
    return clip


@contextlib.contextmanager
def streaming(
    fmt: MediaFormat,
    url: str,
    idle: IdleSource,
    preview: Path | None = None,
    fade_frames: int = 0,
    key: str = KEY,
) -> Iterator[Streamer]:
    """The streamer on a thread. No dissolve into clips by default, so a recording's frames can be
    matched to the clips' exactly (test_cuts.py covers the dissolve)."""
    outputs = Outputs(rtmp_url=url, stream_key=key, preview_dir=preview)
    streamer = Streamer(fmt, outputs, idle, fade_frames=fade_frames)
    stop = threading.Event()
    thread = threading.Thread(target=streamer.run, args=(stop,), name="streamer-under-test")
    thread.start()
    try:
        yield streamer
    finally:
        stop.set()
        thread.join(20)
        assert not thread.is_alive(), "the streamer did not stop"


@dataclass
class Recording:
    video_pts: list[int]  # milliseconds (FLV's time base)
    keyframe_pts: list[int]
    audio_pts: list[int]
    audio_durations: list[int]
    frames: list[np.ndarray]  # decoded RGB
    frame_times: list[float]
    audio: np.ndarray  # decoded, mono mix, float
    sample_rate: int


def read_recording(path: Path) -> Recording:
    video_pts, keys, audio_pts, audio_durations = [], [], [], []
    with av.open(str(path)) as container:
        for packet in container.demux():
            if packet.size == 0 or packet.pts is None:
                continue
            if packet.stream.type == "video":
                video_pts.append(packet.pts)
                if packet.is_keyframe:
                    keys.append(packet.pts)
            elif packet.stream.type == "audio":
                audio_pts.append(packet.pts)
                audio_durations.append(packet.duration)
    with av.open(str(path)) as container:
        decoded = list(container.decode(video=0))
        frames = [f.to_ndarray(format="rgb24") for f in decoded]
        times = [float(f.time) for f in decoded]
    with av.open(str(path)) as container:
        rate = container.streams.audio[0].rate
        parts = [f.to_ndarray().mean(axis=0) for f in container.decode(audio=0)]
    return Recording(video_pts, keys, audio_pts, audio_durations, frames, times, np.concatenate(parts), rate)


def colour_runs(frames: list[np.ndarray], palette: dict[str, tuple[int, int, int]]) -> list[tuple[str, int]]:
    """The recording as runs of (name, frame count); frames of no palette colour are "idle"."""
    runs: list[tuple[str, int]] = []
    for frame in frames:
        mean = frame.reshape(-1, 3).mean(axis=0)
        name = next((n for n, c in palette.items() if np.abs(mean - c).max() < 25), "idle")
        if runs and runs[-1][0] == name:
            runs[-1] = (name, runs[-1][1] + 1)
        else:
            runs.append((name, 1))
    return runs
