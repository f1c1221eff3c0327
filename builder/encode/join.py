"""Join segments into one MP4 for the library by stream copy: nothing is re-encoded.

Video joins cleanly: every segment starts on an IDR frame and the concat list gives each file its
exact video duration, so frame timestamps run on without a gap or a repeat.

AAC does not tile like that. A segment's audio is whole AAC packets of F = 1024 samples: a
priming packet (the encoder's delay, hidden in a segment by its edit list), then ceil(S / F)
packets for S samples, the last one mostly padding. An MP4 track cannot hide priming or padding in
the middle, so a naive concat plays ~1.5 extra packets per join and the audio drifts later and
later behind the video (and ffmpeg warns about non-monotonic timestamps). Here instead:

- the priming packet of every segment is left out (`inpoint 0`);
- segment k keeps just enough packets that the next segment's audio starts at the AAC packet
  boundary nearest its video start (`noise` bitstream filter, `drop`);
- the kept packets are renumbered back to back (`setts`), so timestamps are continuous.

At each join the audio is then off by at most half a packet (±10.7 ms at 48 kHz), and that error
never accumulates. The cost is at most one packet of audio cut from, or silence added to, the end
of a segment, where a sentence ends anyway; the decoder's overlap-add blends the seam.
"""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from builder.encode.ffmpeg import FFmpegError, run_ffmpeg
from builder.encode.probe import MediaProbe, probe

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Segment:
    path: Path
    n_frames: int
    video_seconds: Fraction
    audio_packets: int  # packets after the priming one: what `inpoint 0` lets through


@dataclass(frozen=True)
class AudioPlan:
    keep: list[int]  # packets kept from each segment
    drift: list[float]  # seconds by which each segment's audio starts after its video (join k)
    end_drift: float  # seconds by which the kept packets end after the video (whole packets)


def join_segments(paths: list[Path], out_path: Path) -> Path:
    """Concatenate MP4 segments (from `encode_segment`, same format) into `out_path` (+faststart).

    Writes to a temporary name beside `out_path` and renames it only once the result has been
    checked (every frame, continuous audio), so the library never holds a half-written clip.
    """
    if not paths:
        raise ValueError("nothing to join")
    out_path = Path(out_path)
    segments, frame_size, sample_rate = _read_segments([Path(p) for p in paths])
    plan = plan_audio(
        [s.video_seconds for s in segments], [s.audio_packets for s in segments], frame_size, sample_rate
    )
    partial = out_path.with_name(f".{out_path.name}.part")
    with tempfile.TemporaryDirectory(prefix="join-") as tmp:
        playlist = Path(tmp) / "segments.ffconcat"
        playlist.write_text(_playlist(segments), encoding="utf-8")
        filters = [*_drops(segments, plan.keep), f"setts=ts='N*{frame_size}/({sample_rate}*TB)'"]
        args = [
            # auto_convert 0: the concat demuxer would otherwise rewrite H.264 packets (parameter
            # sets put in front of every keyframe); we want the segments' packets byte for byte.
            "-y", "-f", "concat", "-safe", "0", "-auto_convert", "0", "-i", str(playlist),
            "-map", "0:v:0", "-map", "0:a:0", "-c", "copy", "-bsf:a", ",".join(filters),
            "-movflags", "+faststart", "-f", "mp4", str(partial),
        ]  # fmt: skip
        try:
            run_ffmpeg(args, timeout=600)
            result = probe(partial)
            _check(result, sum(s.n_frames for s in segments), sum(plan.keep), frame_size)
            os.replace(partial, out_path)
        finally:
            partial.unlink(missing_ok=True)
    log.info(
        "joined %d segments into %s: audio against video %s ms at the joins, %+.1f ms at the end",
        len(segments),
        out_path.name,
        " ".join(f"{d * 1000:+.1f}" for d in plan.drift[1:]) or "(none)",
        float(result.only("audio").end - result.only("video").end) * 1000,
    )
    return out_path


def plan_audio(
    video_seconds: list[Fraction], audio_packets: list[int], frame_size: int, sample_rate: int
) -> AudioPlan:
    """How many AAC packets each segment keeps so its successor's audio starts on time.

    Segment k's audio starts where the packets kept before it end; its video starts at the sum of
    the earlier video durations. Rounding that start to the nearest packet keeps every join within
    half a packet and stops errors from adding up. A segment with too little audio keeps what it has.
    """
    packet = Fraction(frame_size, sample_rate)
    keep: list[int] = []
    drift: list[float] = []
    video_start, kept = Fraction(0), 0
    for k, (seconds, available) in enumerate(zip(video_seconds, audio_packets, strict=True)):
        drift.append(float(kept * packet - video_start))
        video_start += seconds
        last = k == len(video_seconds) - 1
        # The last segment has no successor: keep what covers its video, padding packet included.
        wanted = -(-(video_start - kept * packet) // packet) if last else round(video_start / packet) - kept
        keep.append(max(0, min(available, int(wanted))))
        kept += keep[-1]
    return AudioPlan(keep=keep, drift=drift, end_drift=float(kept * packet - video_start))


def _read_segments(paths: list[Path]) -> tuple[list[_Segment], int, int]:
    segments, reference = [], None
    frame_size = sample_rate = 0
    for path in paths:
        info = probe(path)
        video, audio = info.only("video"), info.only("audio")
        frame_seconds = video.packets[0].duration * video.time_base if video.packets else 0
        shape = (video.codec, video.width, video.height, frame_seconds, video.extradata,
                 audio.codec, audio.sample_rate, audio.extradata)  # fmt: skip
        if reference is None:
            reference = shape
        elif shape != reference:
            raise ValueError(f"{path} is not in the same format as {paths[0]}: cannot join by stream copy")
        content = [p for p in audio.packets if p.pts >= 0]
        if not video.packets or not content:
            raise ValueError(f"{path} has no video or no audio")
        frame_size = round(content[0].duration * audio.time_base * audio.sample_rate)
        sample_rate = audio.sample_rate
        segments.append(_Segment(path, len(video.packets), video.end, len(content)))
    return segments, frame_size, sample_rate


def _playlist(segments: list[_Segment]) -> str:
    """An ffconcat list. Durations are the video's, in whole microseconds rounded on the running
    total, so long joins do not gather rounding error."""
    lines, start = ["ffconcat version 1.0"], Fraction(0)
    for segment in segments:
        if "\n" in str(segment.path) or "\r" in str(segment.path):
            raise ValueError(f"unusable file name: {segment.path!r}")
        quoted = str(segment.path.resolve()).replace("'", "'\\''")
        micros = round((start + segment.video_seconds) * 1_000_000) - round(start * 1_000_000)
        start += segment.video_seconds
        lines += [f"file '{quoted}'", "inpoint 0", f"duration {micros // 1_000_000}.{micros % 1_000_000:06d}"]
    return "\n".join(lines) + "\n"


def _drops(segments: list[_Segment], keep: list[int]) -> list[str]:
    """A `noise` filter dropping each segment's surplus packets, by index in the joined stream."""
    ranges, first = [], 0
    for segment, kept in zip(segments, keep, strict=True):
        if kept < segment.audio_packets:
            ranges.append(f"between(n,{first + kept},{first + segment.audio_packets - 1})")
        first += segment.audio_packets
    return [f"noise=drop='{'+'.join(ranges)}'"] if ranges else []


def _check(result: MediaProbe, n_frames: int, n_packets: int, frame_size: int) -> None:
    """Refuse a join whose timestamps are not what the plan says (another ffmpeg may differ)."""
    video, audio = result.only("video"), result.only("audio")
    step = video.packets[0].duration if video.packets else 0
    video_ok = len(video.packets) == n_frames and all(
        p.pts == i * step for i, p in enumerate(sorted(video.packets, key=lambda p: p.pts))
    )
    tick = round(frame_size / (audio.time_base * audio.sample_rate)) if audio.sample_rate else 0
    audio_ok = len(audio.packets) == n_packets and all(p.pts == i * tick for i, p in enumerate(audio.packets))
    if not (video_ok and audio_ok):
        raise FFmpegError(
            f"joined file has {len(video.packets)} frames and {len(audio.packets)} audio packets "
            f"(expected {n_frames} and {n_packets}, back to back): this ffmpeg joins differently"
        )
