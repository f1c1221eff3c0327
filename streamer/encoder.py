"""The one ffmpeg process that encodes the whole broadcast.

Video frames (raw RGB) go in on stdin and PCM (s16le, interleaved) on a second pipe passed as an
extra file descriptor, each written by its own thread from a small queue. ffmpeg reads its two
inputs in whatever order it likes; with one writer per pipe neither write can block the other, so
nothing deadlocks. The caller hands over a frame and its audio together (`write`), which keeps the
two inputs in lockstep: after n frames ffmpeg has exactly n frames and their samples.

ffmpeg reports its progress (`-progress pipe:1`) on stdout; a third thread parses it for the health
figures. stderr is drained by a fourth into a bounded tail.

The stream key is in no child's argv or environment. A keyed RTMP output is published by a second
process, `streamer/publisher.py`: ffmpeg writes FLV into a pipe, the publisher reads it and is the
only one given the key (on a pipe of its own, at its start: each encoder restart starts a new one).
Both children get `child_env`: no secret (the key included) and no variable that holds one. The two
live and die together: if either ends, the encoder is dead and the streamer restarts the pair.
Anything logged is still masked, in case a message repeats the URL with the key.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import os
import queue
import shlex
import subprocess
import threading
import time
from typing import IO, Any

import numpy as np

from aijesus.processes import child_env
from builder.encode.ffmpeg import ffmpeg_binary
from builder.encode.segment import video_args
from builder.media import MediaFormat
from streamer import publisher
from streamer.outputs import Outputs, mask, mask_argv

log = logging.getLogger(__name__)

_QUEUE_SECONDS = 0.5  # buffered ahead of ffmpeg: enough to ride out a hiccup, little latency
_STALL_SECONDS = 5.0  # a write blocked this long means ffmpeg stopped reading (a hung output)
_EOF = None


class EncoderDied(Exception):
    """ffmpeg exited or stopped reading; the message carries the (masked) tail of its stderr."""


def encoder_args(
    fmt: MediaFormat, outputs: Outputs, audio_fd: int | str, rtmp_fd: int | str | None = None
) -> list[str]:
    """Everything after the binary: two raw inputs, x264 + AAC in `fmt`, then the outputs.

    `rtmp_fd` is the pipe to the publisher, needed when the outputs have a keyed RTMP ingest.
    """
    return [
        "-hide_banner", "-nostats", "-loglevel", "warning", "-progress", "pipe:1",
        "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{fmt.width}x{fmt.height}", "-r", str(fmt.fps),
        "-i", "pipe:0",
        "-f", "s16le", "-ar", str(fmt.sample_rate), "-ac", str(fmt.channels), "-i", f"pipe:{audio_fd}",
        "-map", "0:v:0", "-map", "1:a:0",
        # The segments' x264 settings (2 s closed GOPs, no scene cuts, no B-frames, BT.709) plus a
        # constant bitrate as Twitch asks: -b:v = -maxrate with HRD signalling and filler.
        *video_args(fmt), "-x264-params", "nal-hrd=cbr",
        "-c:a", "aac", "-b:a", fmt.audio_bitrate, "-ar", str(fmt.sample_rate), "-ac", str(fmt.channels),
        *outputs.argv(None if rtmp_fd is None else f"pipe:{rtmp_fd}"),
    ]  # fmt: skip


class StreamEncoder:
    """Owns one ffmpeg run. `write` frames + audio; `close` flushes and stops it."""

    def __init__(self, fmt: MediaFormat, outputs: Outputs) -> None:
        self.fmt = fmt
        self.outputs = outputs
        self.progress: dict[str, str] = {}
        self.frames_written = 0
        self._frame_bytes = fmt.width * fmt.height * 3
        self._stderr: collections.deque[str] = collections.deque(maxlen=40)
        self._broken: str | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._publisher: subprocess.Popen[bytes] | None = None
        self._threads: list[threading.Thread] = []
        depth = max(2, round(fmt.fps * _QUEUE_SECONDS))
        self._video: queue.Queue[Any] = queue.Queue(depth)
        self._audio: queue.Queue[Any] = queue.Queue(depth)

    @property
    def argv_masked(self) -> list[str]:
        rtmp_fd = "<rtmp-fd>" if self.outputs.needs_publisher else None
        return mask_argv(self._argv("<audio-fd>", rtmp_fd), self.outputs.secrets)

    def _argv(self, audio_fd: int | str, rtmp_fd: int | str | None = None) -> list[str]:
        return [ffmpeg_binary(), *encoder_args(self.fmt, self.outputs, audio_fd, rtmp_fd)]

    def start(self) -> None:
        if self.outputs.preview_dir is not None:  # also after someone cleared the media folder
            self.outputs.preview_dir.mkdir(parents=True, exist_ok=True)
            swept = self.outputs.sweep_preview()  # what earlier runs of the encoder left behind
            if swept:
                log.info("encoder: removed %d stale preview segment(s)", swept)
        # The key may come from STREAM_KEY_FILE: its value is dropped wherever it appears too.
        env = child_env(also=self.outputs.secrets)
        read_fd, write_fd = os.pipe()
        # The FLV pipe to the publisher: its read end is the publisher's stdin, its write end ffmpeg's.
        flv_read, flv_write = os.pipe() if self.outputs.needs_publisher else (None, None)
        argv = self._argv(read_fd, flv_write)
        log.info("encoder: %s", shlex.join(mask_argv(argv, self.outputs.secrets)))
        try:
            if flv_read is not None:
                url, key = self.outputs.rtmp_url, self.outputs.stream_key
                assert url
                self._publisher = publisher.spawn(url, key, flv_read, env)
                log.info("publisher[%s]: publishing to %s", self._publisher.pid, self.outputs.describe())
            self._proc = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                pass_fds=(read_fd,) if flv_write is None else (read_fd, flv_write),
                env=env,
                # Its own process group: Ctrl-C in a terminal reaches only us, and we end ffmpeg
                # by closing its inputs so it flushes, instead of it dying mid-packet.
                process_group=0,
            )
        except OSError as exc:
            os.close(write_fd)
            if self._publisher is not None:  # it would wait for an input that never comes
                self._publisher.kill()
                self._publisher.wait()
            raise EncoderDied(f"could not start the encoder: {exc}") from exc
        finally:
            # The children have their copies; ours would keep the pipes open forever.
            for fd in (read_fd, flv_read, flv_write):
                if fd is not None:
                    os.close(fd)
        audio_pipe = os.fdopen(write_fd, "wb", buffering=0)
        assert self._proc.stdin and self._proc.stdout and self._proc.stderr
        self._threads = [
            self._thread(self._writer, "video", self._video, self._proc.stdin),
            self._thread(self._writer, "audio", self._audio, audio_pipe),
            self._thread(self._read_progress, "progress", self._proc.stdout),
            self._thread(self._drain_stderr, "stderr", self._proc.stderr),
        ]
        if self._publisher is not None:
            assert self._publisher.stderr
            self._threads.append(
                self._thread(self._drain_stderr, "publisher-stderr", self._publisher.stderr, "publisher")
            )

    def _thread(self, target: Any, name: str, *args: object) -> threading.Thread:
        thread = threading.Thread(target=target, args=args, name=f"encoder-{name}", daemon=True)
        thread.start()
        return thread

    @property
    def alive(self) -> bool:
        return (
            self._proc is not None
            and self._proc.poll() is None
            and self._broken is None
            and (self._publisher is None or self._publisher.poll() is None)
        )

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def pids(self) -> list[int]:
        """Every process this encoder started: ffmpeg, and the publisher if there is one."""
        return [proc.pid for proc in (self._proc, self._publisher) if proc is not None]

    def write(self, frame: np.ndarray, pcm: bytes) -> None:
        """Queue one frame (HxWx3 uint8 RGB) and the audio that lasts as long as it."""
        if frame.shape != (self.fmt.height, self.fmt.width, 3) or frame.dtype != np.uint8:
            raise ValueError(f"frame is {frame.dtype} {frame.shape}, expected the stream's size")
        data = memoryview(np.ascontiguousarray(frame)).cast("B")
        for q, item in ((self._video, data), (self._audio, pcm)):
            deadline = time.monotonic() + _STALL_SECONDS
            while True:
                if not self.alive:
                    raise EncoderDied(self.why_dead())
                try:
                    q.put(item, timeout=0.2)
                    break
                except queue.Full:
                    if time.monotonic() > deadline:
                        self._broken = f"ffmpeg stopped reading for {_STALL_SECONDS:.0f} s"
                        raise EncoderDied(self.why_dead()) from None
        self.frames_written += 1

    def _writer(self, q: queue.Queue[Any], pipe: IO[bytes]) -> None:
        try:
            while (item := q.get()) is not _EOF:
                pipe.write(item)
        except (BrokenPipeError, OSError) as exc:
            self._broken = self._broken or f"pipe to ffmpeg closed ({exc.__class__.__name__})"
        finally:
            with contextlib.suppress(OSError):
                pipe.close()  # end of input: ffmpeg flushes and finishes the outputs

    def _read_progress(self, pipe: IO[bytes]) -> None:
        block: dict[str, str] = {}
        for raw in pipe:
            key, _, value = raw.decode("ascii", "replace").strip().partition("=")
            block[key] = value
            if key == "progress":  # the last line of each report
                self.progress, block = block, {}

    def _drain_stderr(self, pipe: IO[bytes], name: str = "ffmpeg") -> None:
        proc = self._publisher if name == "publisher" else self._proc
        for raw in pipe:
            line = mask(raw.decode("utf-8", "replace").rstrip(), self.outputs.secrets)
            if line:
                self._stderr.append(line)
                log.info("%s[%s]: %s", name, proc.pid if proc else None, line)

    @property
    def speed(self) -> float | None:
        """Encoder speed from ffmpeg's progress (1.0 = real time), if it reported one yet."""
        value = self.progress.get("speed", "").rstrip("x").strip()
        try:
            return float(value)
        except ValueError:
            return None

    def why_dead(self) -> str:
        code = self._proc.poll() if self._proc else None
        relay = self._publisher.poll() if self._publisher else None
        reason = self._broken or (
            f"ffmpeg exited with status {code}" if code is not None
            else f"the publisher exited with status {relay}" if relay is not None
            else "stopped"
        )  # fmt: skip
        tail = "\n".join(list(self._stderr)[-8:])
        return f"{reason}\n{tail}" if tail else reason

    def close(self, timeout: float = 10.0) -> int | None:
        """End both inputs, let ffmpeg flush and finish its outputs, stop it if it will not.

        Returns ffmpeg's exit status.
        """
        if self._proc is None:
            return None
        for q in (self._video, self._audio):
            self._put_eof(q)
        try:
            self._proc.wait(timeout)
        except subprocess.TimeoutExpired:
            log.warning("encoder did not finish within %s s; stopping it", timeout)
            self._proc.terminate()
            try:
                self._proc.wait(3)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        # ffmpeg's end closed the publisher's input: it sends what it has and ends the RTMP stream.
        self._stop_publisher(timeout)
        for thread in self._threads:
            thread.join(3)
        return self._proc.returncode

    def _stop_publisher(self, timeout: float) -> None:
        if self._publisher is None:
            return
        try:
            self._publisher.wait(timeout)
        except subprocess.TimeoutExpired:
            log.warning("the publisher did not finish within %s s; stopping it", timeout)
            self._publisher.kill()
            self._publisher.wait()

    def _put_eof(self, q: queue.Queue[Any]) -> None:
        # A live writer takes the marker after the frames before it; a writer stuck on a dead pipe
        # never will, so after a while make room rather than block the shutdown.
        with contextlib.suppress(queue.Full):
            q.put(_EOF, timeout=2)
            return
        while True:
            try:
                q.put_nowait(_EOF)
                return
            except queue.Full:
                with contextlib.suppress(queue.Empty):
                    q.get_nowait()
