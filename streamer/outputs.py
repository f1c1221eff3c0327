"""Where the encoded stream goes: an RTMP ingest, a local HLS preview, or both from one encode.

The stream key is a secret. It is appended to the ingest URL only inside the argv handed to ffmpeg;
everything that may be logged or shown (argv, ffmpeg's own messages, errors) goes through `mask`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

MASK = "****"
PREVIEW_PLAYLIST = "stream.m3u8"


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
        """The URL ffmpeg publishes to: the ingest URL with the key as its last path part."""
        if not self.rtmp_url:
            return None
        if not self.stream_key:
            return self.rtmp_url
        return f"{self.rtmp_url.rstrip('/')}/{self.stream_key}"

    def describe(self) -> str:
        parts = []
        if self.rtmp_url:
            parts.append(f"rtmp {mask(self.publish_url or '', self.secrets)}")
        if self.preview_dir is not None:
            parts.append(f"preview {self.preview_dir / PREVIEW_PLAYLIST}")
        return " + ".join(parts)

    def argv(self) -> list[str]:
        """ffmpeg output options: one muxer, or the tee muxer so one encode feeds both."""
        hls = self._hls_options()
        if self.publish_url and self.preview_dir is None:
            return ["-f", "flv", "-flvflags", "no_duration_filesize", self.publish_url]
        assert self.preview_dir is not None
        playlist = str(self.preview_dir / PREVIEW_PLAYLIST)
        if not self.publish_url:
            return [*_flat(hls), playlist]
        # tee muxes the one encode twice. FLV needs the codec headers out of band (global_header);
        # the TS segments still get them before each keyframe (the TS muxer repeats extradata). A
        # preview that fails (disk full) must never take the broadcast down: onfail=ignore there.
        hls_opts = ":".join(f"{k.lstrip('-')}={v}" for k, v in hls)
        slave_rtmp = f"[f=flv:flvflags=no_duration_filesize:onfail=abort]{_tee_escape(self.publish_url)}"
        slave_hls = f"[{hls_opts}:onfail=ignore]{_tee_escape(playlist)}"
        return ["-flags:v", "+global_header", "-flags:a", "+global_header",
                "-f", "tee", f"{slave_rtmp}|{slave_hls}"]  # fmt: skip

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


def mask(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret replaced by ****."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    return text


def mask_argv(argv: Iterable[str], secrets: Iterable[str]) -> list[str]:
    secrets = list(secrets)
    return [mask(arg, secrets) for arg in argv]
