"""Packet-level facts about a media file, read with ffmpeg itself (the bundled ffmpeg has no ffprobe).

`-c copy -f framecrc -` lists every packet (stream, dts, pts, duration, size, flags) after a header
with each stream's time base, codec, size or sample rate and a checksum of its extradata. Nothing
is decoded, so probing a clip takes milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from builder.encode.ffmpeg import run_ffmpeg


@dataclass(frozen=True)
class Packet:
    dts: int
    pts: int
    duration: int
    size: int
    keyframe: bool


@dataclass
class StreamProbe:
    index: int
    media_type: str = ""  # "video" or "audio"
    codec: str = ""
    time_base: Fraction = Fraction(0)
    width: int = 0
    height: int = 0
    sample_rate: int = 0
    extradata: str = ""  # "size, checksum": equal extradata is what a stream-copy join needs
    packets: list[Packet] = field(default_factory=list)

    @property
    def end(self) -> Fraction:
        """Where the last packet ends, in seconds (0 when there are none)."""
        if not self.packets:
            return Fraction(0)
        last = max(self.packets, key=lambda p: p.pts)
        return (last.pts + last.duration) * self.time_base


@dataclass
class MediaProbe:
    path: Path
    streams: list[StreamProbe]

    def only(self, media_type: str) -> StreamProbe:
        found = [s for s in self.streams if s.media_type == media_type]
        if len(found) != 1:
            raise ValueError(f"{self.path} has {len(found)} {media_type} streams, expected exactly one")
        return found[0]


def probe(path: Path, *, timeout: float = 60) -> MediaProbe:
    text = run_ffmpeg(
        ["-i", str(path), "-map", "0", "-c", "copy", "-f", "framecrc", "-"],
        capture_stdout=True,
        timeout=timeout,
    ).decode("utf-8", "replace")
    return parse_framecrc(path, text)


def parse_framecrc(path: Path, text: str) -> MediaProbe:
    streams: dict[int, StreamProbe] = {}
    for line in text.splitlines():
        if line.startswith("#"):
            _header(streams, line)
        elif line.strip():
            fields = [f.strip() for f in line.split(",")]
            index, dts, pts, duration, size = (int(f) for f in fields[:5])
            # Flags appear only when not the default: "F=0x0" marks a non-key video packet, "F=0x5" a
            # key packet with discard; audio packets without the field are all key packets.
            flags = next((int(f[2:], 16) for f in fields[6:] if f.startswith("F=")), 1)
            stream = streams.setdefault(index, StreamProbe(index))
            stream.packets.append(Packet(dts, pts, duration, size, keyframe=bool(flags & 1)))
    return MediaProbe(path, [streams[i] for i in sorted(streams)])


def _header(streams: dict[int, StreamProbe], line: str) -> None:
    key, _, value = line[1:].partition(":")
    name, _, index = key.partition(" ")
    if not index.isdigit():
        return  # "#software: ..." and other file-level lines
    stream = streams.setdefault(int(index), StreamProbe(int(index)))
    value = value.strip()
    if name == "tb":
        stream.time_base = Fraction(value)
    elif name == "media_type":
        stream.media_type = value
    elif name == "codec_id":
        stream.codec = value
    elif name == "dimensions":
        width, _, height = value.partition("x")
        stream.width, stream.height = int(width), int(height)
    elif name == "sample_rate":
        stream.sample_rate = int(value)
    elif name == "extradata":
        stream.extradata = value
