"""Where the encoded stream goes: an RTMP ingest, a local HLS preview, or both from one encode.

The stream key is a secret, and it is never in ffmpeg's argv (which every local user can read):
ffmpeg writes FLV into a pipe (`rtmp_sink`) and the publisher process (`streamer/publisher.py`),
which alone is given the key, sends it on to the ingest. Everything that
may be logged or shown (argv, ffmpeg's and the publisher's messages, errors) still goes through
`mask`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

MASK = "****"
PREVIEW_PLAYLIST = "stream.m3u8"
PREVIEW_SEGMENT = re.compile(r"seg-\d+\.ts")  # the names -hls_segment_filename below gives


@dataclass(frozen=True)
class Outputs:
    rtmp_url: str | None = None  # the ingest URL without the key
    stream_key: str = ""
    preview_dir: Path | None = None  # HLS playlist + segments, rolled over as they age
    hls_time: int = 2  # seconds per preview segment: one GOP, so each segment starts on a keyframe
    hls_list_size: int = 6

    def __post_init__(self) -> None:
        if not self.rtmp_url and self.preview_dir is None:
            raise ValueError("no output: give an RTMP URL, a preview folder, or both")

    @property
    def secrets(self) -> list[str]:
        return [self.stream_key] if self.stream_key else []

    @property
    def publish_url(self) -> str | None:
        """The URL the publisher publishes to: the ingest URL with the key as its last path part."""
        return publish_url(self.rtmp_url, self.stream_key) if self.rtmp_url else None

    def describe(self) -> str:
        parts = []
        if self.rtmp_url:
            parts.append(f"rtmp {mask(self.publish_url or '', self.secrets)}")
        if self.preview_dir is not None:
            parts.append(f"preview {self.preview_dir / PREVIEW_PLAYLIST}")
        return " + ".join(parts)

    @property
    def needs_publisher(self) -> bool:
        """A keyed RTMP output goes out through the publisher process: no argv ever holds the key.
        A URL without a key (a local server, a file for a benchmark) ffmpeg writes itself."""
        return bool(self.rtmp_url and self.stream_key)

    def argv(self, rtmp_sink: str | None = None) -> list[str]:
        """ffmpeg output options: one muxer, or the tee muxer so one encode feeds both.

        With a keyed RTMP output, ffmpeg writes FLV to `rtmp_sink` (the publisher's pipe, e.g.
        "pipe:7"): neither the ingest URL nor the key is in these options.
        """
        hls = self._hls_options()
        if self.needs_publisher and rtmp_sink is None:
            raise ValueError("a keyed RTMP output needs the pipe to the publisher (rtmp_sink)")
        flv = rtmp_sink if self.needs_publisher else self.rtmp_url
        if flv and self.preview_dir is None:
            # Each packet goes into a pipe at once: it is a live stream, not a file.
            flush = ["-flush_packets", "1"] if self.needs_publisher else []
            return ["-f", "flv", "-flvflags", "no_duration_filesize", *flush, flv]
        assert self.preview_dir is not None
        playlist = str(self.preview_dir / PREVIEW_PLAYLIST)
        if not flv:
            return [*_flat(hls), playlist]
        # tee muxes the one encode twice. FLV needs the codec headers out of band (global_header);
        # the TS segments still get them before each keyframe (the TS muxer repeats extradata). A
        # preview that fails (disk full) must never take the broadcast down: onfail=ignore there.
        hls_opts = ":".join(f"{k.lstrip('-')}={v}" for k, v in hls)
        slave_rtmp = f"[f=flv:flvflags=no_duration_filesize:onfail=abort]{_tee_escape(flv)}"
        slave_hls = f"[{hls_opts}:onfail=ignore]{_tee_escape(playlist)}"
        return ["-flags:v", "+global_header", "-flags:a", "+global_header",
                "-f", "tee", f"{slave_rtmp}|{slave_hls}"]  # fmt: skip

    def sweep_preview(self, *, now: float | None = None) -> int:
        """Remove the preview segments no player can still be reading; returns how many.

        ffmpeg deletes the segments it rolls out of its own playlist, but a restarted encoder
        numbers afresh (from the epoch) and never knows those its predecessor left: without this,
        each restart (or crash) would leave a playlist's worth behind for good. A segment younger
        than a playlist's length (plus a little) is kept, for a player still finishing it.
        """
        if self.preview_dir is None or not self.preview_dir.is_dir():
            return 0
        cutoff = (time.time() if now is None else now) - (self.hls_list_size + 2) * self.hls_time
        removed = 0
        for path in self.preview_dir.iterdir():
            if not PREVIEW_SEGMENT.fullmatch(path.name):
                continue
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:
                continue
        return removed

    def _hls_options(self) -> list[tuple[str, str]]:
        assert self.preview_dir is None or isinstance(self.preview_dir, Path)
        segments = str((self.preview_dir or Path()) / "seg-%d.ts")
        return [
            ("-f", "hls"),
            ("-hls_time", str(self.hls_time)),
            ("-hls_list_size", str(self.hls_list_size)),
            # Old segments are deleted (a rolling window, bounded disk); numbering from the epoch
            # keeps a restarted encoder from overwriting segments a player still reads.
            ("-hls_flags", "delete_segments+independent_segments+discont_start"),
            ("-hls_start_number_source", "epoch"),
            ("-hls_segment_filename", segments),
        ]


def _flat(pairs: Iterable[tuple[str, str]]) -> list[str]:
    return [item for pair in pairs for item in pair]


def _tee_escape(target: str) -> str:
    # tee's slave syntax reserves these; a URL or path containing them must not split the spec.
    for char in "\\|[]":
        target = target.replace(char, "\\" + char)
    return target


def publish_url(rtmp_url: str, stream_key: str) -> str:
    """The ingest URL with the key as its last path part (how Twitch and most ingests take it)."""
    return f"{rtmp_url.rstrip('/')}/{stream_key}" if stream_key else rtmp_url


def mask(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret replaced by ****."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    return text


def mask_argv(argv: Iterable[str], secrets: Iterable[str]) -> list[str]:
    secrets = list(secrets)
    return [mask(arg, secrets) for arg in argv]
