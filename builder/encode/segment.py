"""Encode one segment: raw RGB frames + mono speech → an MP4 in the shared `MediaFormat`.

Container: MP4 (not MPEG-TS). A segment is both a thing the dashboard previews on its own (browsers
play MP4, not TS) and a piece of the library file. MP4 records AAC's encoder delay in an edit list,
so a segment alone starts its audio exactly at 0 and ends exactly with the video; it has no
per-packet overhead; and `join.py` stream-copies MP4 segments with exact per-file durations. With no
B-frames every video timestamp starts at 0 and dts = pts, which keeps joins trivial for the video.

Audio travels as a raw s16le temp file rather than a second pipe: the PCM is already whole in
memory, a file cannot deadlock or starve, and writing a few MB costs far less than the encode.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from builder.encode.ffmpeg import FFmpegProcess
from builder.media import MediaFormat


@dataclass(frozen=True)
class SegmentInfo:
    path: Path
    n_frames: int
    duration: float  # seconds: n_frames / fps; the audio is cut or padded to the same length
    encode_seconds: float  # wall time of the whole encode, from start to a finished file
    source_seconds: float  # part of that spent waiting for `frames` (lip-sync, rendering, ...)

    @property
    def encode_fps(self) -> float:
        """Frames per second the encoder managed, not counting the time spent producing frames."""
        busy = self.encode_seconds - self.source_seconds
        return self.n_frames / busy if busy > 0 else float("inf")


def audio_samples(n_frames: int, fmt: MediaFormat) -> int:
    """Output audio samples that last exactly as long as `n_frames` video frames."""
    return round(n_frames * fmt.sample_rate / fmt.fps)


def video_args(fmt: MediaFormat) -> list[str]:
    """x264 settings every segment shares, so segments join by stream copy without a seam."""
    rate = int(fmt.video_bitrate.rstrip("kK")) if fmt.video_bitrate[-1] in "kK" else None
    bufsize = f"{2 * rate}k" if rate else fmt.video_bitrate
    return [
        "-c:v", "libx264",
        "-preset", fmt.preset,
        "-profile:v", fmt.profile,
        # No B-frames: pts = dts from 0 and nothing is reordered across a join. (-tune zerolatency
        # does that too, but measured no faster here and it also drops x264's lookahead.)
        "-bf", "0",
        "-pix_fmt", fmt.pix_fmt,
        # A closed GOP that starts every fmt.gop frames and nowhere else (no scene-cut keyframes):
        # every segment starts on an IDR frame and the stream keeps Twitch's 2 s keyframe interval.
        "-g", str(fmt.gop), "-keyint_min", str(fmt.gop), "-sc_threshold", "0", "-flags", "+cgop",
        "-b:v", fmt.video_bitrate, "-maxrate", fmt.video_bitrate, "-bufsize", bufsize,
        "-fps_mode", "cfr",
        # RGB → BT.709 limited-range YUV, tagged as such, so players show the colours we rendered.
        "-vf", f"scale=out_color_matrix=bt709:out_range=tv,format={fmt.pix_fmt}",
        "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709", "-color_range", "tv",
    ]  # fmt: skip


def audio_args(fmt: MediaFormat, n_samples: int) -> list[str]:
    # pan copies the mono voice to both sides at full level (ffmpeg's default upmix would lower
    # it); apad + atrim make the audio exactly as long as the video.
    layout = {1: "mono", 2: "stereo"}.get(fmt.channels)
    if layout is None:
        raise ValueError(f"fmt.channels must be 1 or 2, got {fmt.channels}")
    chain = (
        f"pan={layout}|"
        + "|".join(f"c{i}=c0" for i in range(fmt.channels))
        + f",aresample={fmt.sample_rate},apad=whole_len={n_samples},atrim=end_sample={n_samples}"
    )
    return ["-af", chain, "-c:a", "aac", "-b:a", fmt.audio_bitrate, "-ar", str(fmt.sample_rate),
            "-ac", str(fmt.channels)]  # fmt: skip


def encode_segment(
    frames: Iterable[np.ndarray], pcm: np.ndarray, sample_rate: int, out_path: Path, fmt: MediaFormat
) -> SegmentInfo:
    """Encode `frames` (HxWx3 uint8 RGB, fmt's size) and `pcm` (mono int16) into `out_path`.

    The video has exactly as many frames as given, at a constant fmt.fps from timestamp 0. The
    audio is resampled to fmt.sample_rate, put on fmt.channels, then padded with silence or cut to
    the video's length. `frames` may be a generator: frames stream through and are never all held.
    Raises ValueError for frames or audio of the wrong shape, FFmpegError if ffmpeg fails.
    """
    pcm = _mono_int16(pcm)
    if sample_rate <= 0:
        raise ValueError(f"sample_rate must be positive, got {sample_rate}")
    feed = _FrameFeed(frames, fmt)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="segment-") as tmp:
        # Two passes, because the audio's length depends on the frame count and a generator tells
        # that only at its end: (1) frames → H.264; (2) copy that video and encode the audio cut to
        # exactly its length. Pass 2 moves a few MB and encodes seconds of AAC: milliseconds.
        video_path, pcm_path = Path(tmp) / "video.mp4", Path(tmp) / "voice.s16le"
        _run([
            "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{fmt.width}x{fmt.height}", "-r", str(fmt.fps),
            "-i", "pipe:0", *video_args(fmt), "-an", "-f", "mp4", str(video_path),
        ], stdin=feed)  # fmt: skip
        if feed.count == 0:
            raise ValueError("a segment needs at least one frame")
        pcm.astype("<i2", copy=False).tofile(pcm_path)
        _run([
            "-i", str(video_path), "-f", "s16le", "-ar", str(sample_rate), "-ac", "1", "-i", str(pcm_path),
            "-map", "0:v:0", "-map", "1:a:0", "-c:v", "copy",
            *audio_args(fmt, audio_samples(feed.count, fmt)),
            "-movflags", "+faststart", "-f", "mp4", str(out_path),
        ])  # fmt: skip
    return SegmentInfo(
        path=Path(out_path),
        n_frames=feed.count,
        duration=feed.count / fmt.fps,
        encode_seconds=time.perf_counter() - started,
        source_seconds=feed.wait_seconds,
    )


def _run(args: list[str], stdin: Iterable[memoryview] | None = None) -> None:
    with FFmpegProcess(["-y", *args], stdin=stdin) as proc:
        proc.wait()


def _mono_int16(pcm: np.ndarray) -> np.ndarray:
    pcm = np.asarray(pcm)
    if pcm.ndim == 2 and pcm.shape[1] == 1:
        pcm = pcm[:, 0]
    if pcm.ndim != 1 or pcm.dtype != np.int16:
        raise ValueError(f"pcm must be mono int16 samples, got {pcm.dtype} with shape {pcm.shape}")
    return pcm


class _FrameFeed:
    """Turns frames into bytes for ffmpeg's stdin, checking each one and timing the producer."""

    def __init__(self, frames: Iterable[np.ndarray], fmt: MediaFormat) -> None:
        self._frames = frames
        self._shape = (fmt.height, fmt.width, 3)
        self.count = 0
        self.wait_seconds = 0.0

    def __iter__(self) -> Iterator[memoryview]:
        frames = iter(self._frames)
        while True:
            started = time.perf_counter()
            frame = next(frames, None)
            self.wait_seconds += time.perf_counter() - started
            if frame is None:
                return
            if frame.shape != self._shape or frame.dtype != np.uint8:
                raise ValueError(
                    f"frame {self.count} is {frame.dtype} {frame.shape}, expected uint8 {self._shape}"
                )
            self.count += 1
            yield memoryview(np.ascontiguousarray(frame)).cast("B")
