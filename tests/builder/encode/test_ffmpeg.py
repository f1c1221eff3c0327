"""The ffmpeg binary and FFmpegProcess: errors that say why, no deadlocks, clean stops."""

from __future__ import annotations

import time

import pytest

from builder.encode import ffmpeg
from builder.encode.ffmpeg import FFmpegError, FFmpegProcess, ffmpeg_binary, run_ffmpeg


@pytest.fixture
def fresh_binary(monkeypatch):
    """Forget the cached binary before and after, so a test's FFMPEG_BINARY does not leak."""
    ffmpeg_binary.cache_clear()
    yield monkeypatch
    ffmpeg_binary.cache_clear()


def test_the_bundled_ffmpeg_is_found_and_runs(fresh_binary):
    fresh_binary.delenv(ffmpeg.FFMPEG_ENV, raising=False)
    import imageio_ffmpeg

    assert ffmpeg_binary() == imageio_ffmpeg.get_ffmpeg_exe()


def test_FFMPEG_BINARY_chooses_another_ffmpeg(fresh_binary, tmp_path):
    import imageio_ffmpeg

    link = tmp_path / "my-ffmpeg"
    link.symlink_to(imageio_ffmpeg.get_ffmpeg_exe())
    fresh_binary.setenv(ffmpeg.FFMPEG_ENV, str(link))
    assert ffmpeg_binary() == str(link)


def test_an_FFMPEG_BINARY_that_does_not_run_is_refused_with_its_name(fresh_binary, tmp_path):
    fresh_binary.setenv(ffmpeg.FFMPEG_ENV, str(tmp_path / "nowhere" / "ffmpeg"))
    with pytest.raises(FFmpegError, match=r"nowhere/ffmpeg.*does not run"):
        ffmpeg_binary()


def test_a_program_that_is_not_ffmpeg_is_refused(fresh_binary):
    fresh_binary.setenv(ffmpeg.FFMPEG_ENV, "/bin/true")
    with pytest.raises(FFmpegError, match="not a working ffmpeg"):
        ffmpeg_binary()


def test_a_failing_command_raises_with_the_tail_of_ffmpegs_stderr(tmp_path):
    with pytest.raises(FFmpegError) as caught:
        run_ffmpeg(["-i", str(tmp_path / "absent.mp4"), "-f", "null", "-"])
    assert caught.value.returncode not in (0, None)
    assert "absent.mp4" in str(caught.value) and "No such file or directory" in str(caught.value)
    assert caught.value.argv[0] == ffmpeg_binary()


def test_megabytes_in_and_a_chatty_stderr_do_not_deadlock():
    frame = bytes(320 * 180 * 3)
    args = [
        "-f",
        "rawvideo",
        "-pix_fmt",
        "rgb24",
        "-s",
        "320x180",
        "-r",
        "30",
        "-i",
        "pipe:0",
        "-f",
        "null",
        "-",
    ]
    with FFmpegProcess(args, stdin=[frame] * 300, loglevel="debug") as proc:  # 52 MB, lines per frame
        proc.wait(timeout=60)
        assert proc.returncode == 0
        assert proc.stderr_tail  # drained all along, the tail kept


def test_stdout_can_be_captured():
    out = run_ffmpeg(
        ["-f", "lavfi", "-i", "anullsrc=r=8000:cl=mono", "-t", "0.5", "-f", "s16le", "-"], capture_stdout=True
    )
    assert out == bytes(8000)  # 4000 silent 16-bit samples


def test_an_error_while_feeding_stops_ffmpeg_and_reaches_the_caller():
    def broken():
        yield bytes(320 * 180 * 3)
        raise RuntimeError("the renderer fell over")

    args = ["-f", "rawvideo", "-pix_fmt", "rgb24", "-s", "320x180", "-i", "pipe:0", "-f", "null", "-"]
    with FFmpegProcess(args, stdin=broken()) as proc, pytest.raises(RuntimeError, match="fell over"):
        proc.wait(timeout=30)


def test_close_stops_an_ffmpeg_that_would_run_forever():
    proc = FFmpegProcess(["-re", "-f", "lavfi", "-i", "anullsrc", "-f", "null", "-"])
    time.sleep(0.2)
    assert proc.returncode is None
    started = time.monotonic()
    proc.close(timeout=5)
    assert proc.returncode is not None
    assert time.monotonic() - started < 5


def test_a_run_past_its_timeout_is_stopped_and_reported():
    with pytest.raises(FFmpegError, match=r"longer than 0\.3 s"):
        run_ffmpeg(["-re", "-f", "lavfi", "-i", "anullsrc", "-f", "null", "-"], timeout=0.3)
