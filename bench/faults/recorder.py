"""An RTMP ingest on 127.0.0.1 that records every session it is sent, one FLV file each.

`ffmpeg -listen 1` takes one publisher and exits when it disconnects; a thread starts the next
one at once, so a streamer whose encoder restarts (or that stands by and later goes on air again)
is recorded each time, in `session-N.flv`, with the moment its file appeared (soon after the
publisher connected). A publisher that connects in the instant between two listeners is refused
and tries again, as it would with a real ingest.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

STREAM = "rec"


@dataclass
class Session:
    path: Path
    appeared: float  # wall time its file was created


class Recorder:
    def __init__(self, folder: Path) -> None:
        from builder.encode.ffmpeg import ffmpeg_binary

        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.binary = ffmpeg_binary()
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.sessions: list[Session] = []
        self._stop = threading.Event()
        self._proc: subprocess.Popen[bytes] | None = None
        self._path: Path | None = None
        self._thread = threading.Thread(target=self._run, name=f"recorder-{self.port}", daemon=True)

    @property
    def url(self) -> str:
        """The ingest URL, stream name included (no key: the streamer's ffmpeg publishes itself)."""
        return f"rtmp://127.0.0.1:{self.port}/live/{STREAM}"

    def start(self) -> Recorder:
        self._thread.start()
        return self

    def stop(self, timeout: float = 10) -> None:
        """Let the session in progress end with its publisher (up to `timeout`), then stop; a
        listener that nobody connected to is ended at once."""
        self._stop.set()
        proc = self._proc
        if proc is not None and proc.poll() is None:
            if self._waiting:
                proc.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout)
            if proc.poll() is None:
                proc.terminate()  # ffmpeg writes the FLV's end on SIGTERM
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(5)
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        self._thread.join(timeout)

    @property
    def _waiting(self) -> bool:
        return not self.sessions or self.sessions[-1].path != self._path

    def _run(self) -> None:
        n = 0
        while not self._stop.is_set():
            self._path = path = self.folder / f"session-{n}.flv"
            self._proc = subprocess.Popen(
                [self.binary, "-hide_banner", "-loglevel", "error", "-y", "-listen", "1",
                 "-timeout", "86400", "-analyzeduration", "500000", "-i", self.url,
                 "-c", "copy", "-flush_packets", "1", "-f", "flv", str(path)],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            while self._proc.poll() is None and not self._stop.is_set():
                self._note(path)
                time.sleep(0.02 if self._waiting else 0.2)
            self._note(path)
            if self._stop.is_set():
                return
            n += 1 if path.exists() else 0

    def _note(self, path: Path) -> None:
        if path.exists() and (not self.sessions or self.sessions[-1].path != path):
            self.sessions.append(Session(path, time.time()))
