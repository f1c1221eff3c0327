"""The RTMP publisher: a small process that takes the encoder's FLV and publishes it with the key.

ffmpeg takes its output URL, and so the stream key, only on its command line, which every local
user can read (`ps`, /proc/<pid>/cmdline). This ffmpeg build offers no way around that: its
"-/option file" syntax loads only ffmpeg's own options, not the rtmp protocol's (`-/rtmp_playpath`
is refused), and options from a preset file (`-fpre`) reach the codecs but not the protocol. So
the encoder writes FLV into a pipe, and this process - the only one that knows the key - reads it
and publishes it through libavformat (PyAV) to `URL/KEY`.

    python -m streamer.publisher --key-fd N rtmp://host/app   (FLV on stdin)

The key comes on the pipe `N`, which the encoder writes and closes as soon as this process has
started: never in an argv, an environment or a file. Packets are copied as they are (no decoding). The
process ends when its input ends (the encoder finished: the RTMP stream is closed properly) or when
the ingest fails (exit status 1: the encoder's next write fails, and the streamer restarts both).
Every message it prints is masked.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import subprocess
import sys
from pathlib import Path

import av
import av.logging

from streamer.outputs import mask, publish_url

_ROOT = Path(__file__).resolve().parent.parent  # where `-m streamer.publisher` is found

# How much of the stream libavformat reads before it trusts the streams it found. FLV has no
# stream list up front; the encoder's FLV starts with both codec headers, so a little is enough,
# and every millisecond here is a millisecond of delay before going on air after a (re)start.
_PROBE_MICROSECONDS = "200000"


def spawn(rtmp_url: str, stream_key: str, flv_fd: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """Start a publisher reading FLV from `flv_fd`; hand it the key on a pipe, then close that."""
    key_read, key_write = os.pipe()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamer.publisher", "--key-fd", str(key_read), rtmp_url],
            stdin=flv_fd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            pass_fds=(key_read,),
            env=env,
            cwd=_ROOT,
            # Like ffmpeg: Ctrl-C reaches only the streamer, which ends this by ending its input.
            process_group=0,
        )
    except OSError:
        os.close(key_write)
        raise
    finally:
        os.close(key_read)
    # A key is far smaller than a pipe's buffer: this write never waits for the reader. If the
    # publisher is gone already, the encoder sees it dead and says why.
    try:
        with contextlib.suppress(BrokenPipeError):
            os.write(key_write, stream_key.encode("utf-8"))
    finally:
        os.close(key_write)
    return proc


def read_key(fd: int) -> str:
    """Everything the encoder wrote on `fd` (up to its end), as the key; the pipe is closed after."""
    chunks = []
    with os.fdopen(fd, "rb") as pipe:
        while chunk := pipe.read(4096):
            chunks.append(chunk)
    return b"".join(chunks).decode("utf-8").strip()


def relay(source: str, target: str) -> int:
    """Copy every audio and video packet of the FLV at `source` to `target`; the packets copied."""
    copied = 0
    with av.open(source, "r", format="flv", options={"analyzeduration": _PROBE_MICROSECONDS}) as src:
        # Opened only once the input has shown its streams: a connection is never left idle.
        dst = av.open(target, "w", format="flv", options={"flvflags": "no_duration_filesize"})
        try:
            wanted = [s for s in src.streams if s.type in ("audio", "video")]
            streams = {s.index: dst.add_stream_from_template(s) for s in wanted}
            for packet in src.demux():
                out = streams.get(packet.stream.index)
                if out is None or packet.dts is None:  # a stream that came late, or the final flush
                    continue
                packet.stream = out
                dst.mux(packet)
                copied += 1
        finally:
            dst.close()
    return copied


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m streamer.publisher", description=__doc__.split("\n")[0])
    parser.add_argument("--key-fd", type=int, required=True, help="pipe the stream key is read from")
    parser.add_argument("url", help="the ingest URL, without the key")
    args = parser.parse_args(argv)
    key = read_key(args.key_fd)
    secrets = [key] if key else []
    _log_masked(secrets)
    try:
        relay("pipe:0", publish_url(args.url, key))
    except Exception as exc:  # noqa: BLE001 - whatever the ingest did, say it (masked) and exit 1
        print(mask(f"publisher: {exc.__class__.__name__}: {exc}", secrets), file=sys.stderr, flush=True)
        return 1
    return 0


class _Masking(logging.Filter):
    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = mask(record.getMessage(), self.secrets), None
        return True


def _log_masked(secrets: list[str]) -> None:
    """libavformat's warnings and errors (a refused publish, a dropped connection) on stderr, masked:
    the encoder logs them as the publisher's."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_Masking(secrets))
    handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    logging.basicConfig(level=logging.WARNING, handlers=[handler])
    av.logging.set_level(av.logging.WARNING)


if __name__ == "__main__":
    raise SystemExit(main())
