"""The stream key reaches the ingest and nothing else: no child process of the streamer holds it in
its command line or its environment, and the test server takes the stream only under the key."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.streamer.conftest import SMALL
from tests.streamer.helpers import KEY, RtmpServer, free_port, read_recording, streaming

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def wait_for(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def descendants(pid: int) -> set[int]:
    """Every live process below `pid`, children of children included, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # it ended while we looked
            continue
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after its last ")".
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def exposed(pid: int) -> dict[str, bool]:
    """Whether the key is in the process's command line and in its environment."""
    proc = Path(f"/proc/{pid}")
    return {part: KEY.encode() in (proc / part).read_bytes() for part in ("cmdline", "environ")}


@pytest.mark.parametrize("preview", [False, True], ids=["rtmp", "rtmp+preview"])
def test_the_server_gets_the_stream_under_the_key_and_no_child_process_shows_the_key(
    preview, persona, media_root, idle, monkeypatch
):
    server = RtmpServer(free_port(), media_root / "recorded.flv")  # its argv names KEY: it is the ingest
    # The streamer's own environment holds the key, as when STREAM_KEY is exported: children must
    # not inherit it.
    monkeypatch.setenv("STREAM_KEY", KEY)
    folder = media_root / "preview" if preview else None
    try:
        with streaming(SMALL, server.url, idle, preview=folder) as streamer:
            assert wait_for(lambda: _size(server.out) > 20_000, 20), "the server received no stream"
            if preview:
                assert wait_for(lambda: (media_root / "preview" / "stream.m3u8").exists(), 20)
            encoder = streamer.encoder
            assert encoder is not None and encoder.alive
            started = descendants(os.getpid()) - {server.proc.pid}
            seen = {pid: exposed(pid) for pid in started if Path(f"/proc/{pid}").exists()}
            encoder_pids = encoder.pids
        server.finish()
    finally:
        if server.proc.poll() is None:
            server.kill()

    assert seen and all(flags == {"cmdline": False, "environ": False} for flags in seen.values()), seen
    assert len(encoder_pids) == 2 and set(encoder_pids) <= set(seen)  # ffmpeg and the publisher
    assert server.refused is None
    recording = read_recording(server.out)
    assert len(recording.video_pts) > 30 and len(recording.audio_pts) > 30


def test_a_wrong_key_is_refused_by_the_server_and_the_streamer_tries_again(persona, media_root, idle):
    server = RtmpServer(free_port(), media_root / "recorded.flv")
    try:
        with streaming(SMALL, server.url, idle, key="live_wrong_key_42") as streamer:
            assert wait_for(lambda: server.refused is not None, 20), "the server took a wrong key"
            assert wait_for(lambda: streamer.reconnects >= 1, 20)
    finally:
        if server.proc.poll() is None:
            server.kill()
    assert "Unexpected stream live_wrong_key_42" in (server.refused or "")


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0
