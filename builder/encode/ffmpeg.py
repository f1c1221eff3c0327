"""The ffmpeg binary and one small class that owns an ffmpeg process.

Every ffmpeg run in the builder goes through `FFmpegProcess`: argv is a list (never a shell
string), the command is logged, stderr is drained by a thread into a bounded buffer whose tail ends
up in the error, and stdin is written by a feeder thread. With both pipes served by threads, ffmpeg
can never block on a full stderr pipe while we block on a full stdin pipe.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import logging
import os
import shlex
import subprocess
import threading
from collections.abc import Callable, Iterable, Sequence
from types import TracebackType

from builder.childenv import child_env
from builder.errors import BuildError

log = logging.getLogger(__name__)

FFMPEG_ENV = "FFMPEG_BINARY"
_STDERR_LINES = 200  # enough to hold ffmpeg's real error after its warnings
_TAIL_CHARS = 2000  # how much of stderr an error message carries


class FFmpegError(BuildError):
    """ffmpeg is missing or failed. The message carries the tail of ffmpeg's stderr.

    A `BuildError`: a command that failed once fails the same way on a retry.
    """

    def __init__(
        self, message: str, *, argv: Sequence[str] = (), returncode: int | None = None, stderr: str = ""
    ) -> None:
        self.argv = list(argv)
        self.returncode = returncode
        self.stderr = stderr
        tail = stderr.strip()[-_TAIL_CHARS:]
        super().__init__(f"{message}\nffmpeg stderr (tail):\n{tail}" if tail else message)


@functools.cache
def ffmpeg_binary() -> str:
    """The ffmpeg to run: `FFMPEG_BINARY` if set, else the one bundled with imageio-ffmpeg.

    Checked once per process (`-version` must run) so a broken setting fails the first clip with a
    plain message instead of an obscure one mid-encode. `ffmpeg_binary.cache_clear()` re-reads it.
    """
    path = os.environ.get(FFMPEG_ENV, "").strip()
    if not path:
        try:
            import imageio_ffmpeg
        except ImportError as exc:
            raise FFmpegError(f"no ffmpeg: set {FFMPEG_ENV} or install imageio-ffmpeg") from exc
        path = imageio_ffmpeg.get_ffmpeg_exe()
    try:
        done = subprocess.run(
            [path, "-hide_banner", "-version"], capture_output=True, text=True, timeout=20, env=child_env()
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise FFmpegError(
            f"ffmpeg at {path!r} (from {FFMPEG_ENV} or imageio-ffmpeg) does not run: {exc}"
        ) from exc
    if done.returncode != 0 or not done.stdout.startswith("ffmpeg version"):
        raise FFmpegError(f"{path!r} is not a working ffmpeg", returncode=done.returncode, stderr=done.stderr)
    log.info("using %s", done.stdout.splitlines()[0])
    return path


class FFmpegProcess:
    """One ffmpeg run. `args` are everything after the binary name.

    Use as a context manager, or call `close()`: leaving the block stops ffmpeg if it still runs.
    `stdin` (an iterable of bytes-like chunks) is written by a feeder thread; if iterating it raises,
    ffmpeg is killed (so no half-written file is finalised) and `wait()` re-raises that exception.
    `capture_stdout=True` collects stdout into `stdout` (for small outputs such as probes).
    """

    def __init__(
        self,
        args: Sequence[str],
        *,
        stdin: Iterable[bytes | memoryview] | None = None,
        capture_stdout: bool = False,
        loglevel: str = "error",
    ) -> None:
        self.argv = [ffmpeg_binary(), "-hide_banner", "-nostats", "-loglevel", loglevel, *args]
        self.stdout = b""
        self._stderr: collections.deque[str] = collections.deque(maxlen=_STDERR_LINES)
        self._stdout_chunks: list[bytes] = []
        self._feed_error: BaseException | None = None
        log.debug("ffmpeg: %s", shlex.join(self.argv))
        try:
            self._proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                stdout=subprocess.PIPE if capture_stdout else subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                env=child_env(),
            )
        except OSError as exc:
            raise FFmpegError(f"could not start ffmpeg: {exc}", argv=self.argv) from exc
        self._threads = [self._thread(self._drain_stderr, "stderr")]
        if capture_stdout:
            self._threads.append(self._thread(self._drain_stdout, "stdout"))
        if stdin is not None:
            self._threads.append(self._thread(self._feed, "stdin", stdin))

    def _thread(self, target: Callable[..., None], name: str, *args: object) -> threading.Thread:
        thread = threading.Thread(
            target=target, args=args, name=f"ffmpeg-{self._proc.pid}-{name}", daemon=True
        )
        thread.start()
        return thread

    def _drain_stderr(self) -> None:
        assert self._proc.stderr is not None
        for raw in self._proc.stderr:
            line = raw.decode("utf-8", "replace").rstrip()
            if line:
                self._stderr.append(line)
                log.debug("ffmpeg[%d]: %s", self._proc.pid, line)

    def _drain_stdout(self) -> None:
        assert self._proc.stdout is not None
        while chunk := self._proc.stdout.read(65536):
            self._stdout_chunks.append(chunk)

    def _feed(self, chunks: Iterable[bytes | memoryview]) -> None:
        pipe = self._proc.stdin
        assert pipe is not None
        try:
            for chunk in chunks:
                pipe.write(chunk)
        except BrokenPipeError:
            pass  # ffmpeg exited early; its exit status and stderr tell why
        except BaseException as exc:  # noqa: BLE001 - handed to wait(), which re-raises it
            self._feed_error = exc
            self._proc.kill()
        finally:
            with contextlib.suppress(BrokenPipeError):
                pipe.close()  # end of input: ffmpeg finishes the file

    @property
    def stderr_tail(self) -> str:
        return "\n".join(self._stderr)

    @property
    def returncode(self) -> int | None:
        return self._proc.poll()

    def wait(self, timeout: float | None = None) -> None:
        """Wait for ffmpeg to finish; raise `FFmpegError` (with stderr) unless it succeeded."""
        try:
            self._proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.close()
            raise FFmpegError(
                f"ffmpeg took longer than {timeout} s and was stopped",
                argv=self.argv,
                stderr=self.stderr_tail,
            ) from None
        self._join_threads(timeout=10)
        self.stdout = b"".join(self._stdout_chunks)
        if self._feed_error is not None:
            raise self._feed_error
        if self._proc.returncode != 0:
            raise FFmpegError(
                f"ffmpeg failed (exit status {self._proc.returncode}): {shlex.join(self.argv[1:])[:500]}",
                argv=self.argv,
                returncode=self._proc.returncode,
                stderr=self.stderr_tail,
            )

    def close(self, timeout: float = 5.0) -> None:
        """Stop ffmpeg if it still runs (ask, then kill) and join the pipe threads."""
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout)
        self._join_threads(timeout)

    def _join_threads(self, timeout: float) -> None:
        for thread in self._threads:
            thread.join(timeout)
            if thread.is_alive():
                log.warning("%s did not stop within %s s", thread.name, timeout)

    def __enter__(self) -> FFmpegProcess:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def run_ffmpeg(
    args: Sequence[str],
    *,
    stdin: Iterable[bytes | memoryview] | None = None,
    capture_stdout: bool = False,
    timeout: float | None = None,
) -> bytes:
    """Run ffmpeg to completion; return its stdout (empty unless captured)."""
    with FFmpegProcess(args, stdin=stdin, capture_stdout=capture_stdout) as proc:
        proc.wait(timeout)
        return proc.stdout
