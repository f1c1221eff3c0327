"""The local cache's index outlives its process: a cache started later over the same folder (after a
restart, or another process sharing it) counts the files sent or fetched before, least recently
used first, and keeps the bound; files it never counted stay; the index stays small."""

from __future__ import annotations

import os
import time
from pathlib import Path

from aijesus.mediastore.cache import INDEX, LocalCache


def made(root: Path, name: str, size: int) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)
    return path


def last_used(path: Path, seconds_ago: float) -> None:
    when = time.time_ns() - int(seconds_ago * 1e9)
    os.utime(path, ns=(when, path.stat().st_mtime_ns))


def test_a_restarted_cache_evicts_files_from_before_the_restart(tmp_path):
    before = LocalCache(tmp_path, limit_bytes=10_000, grace=60.0)
    files = [made(tmp_path, f"clips/1/attempt-1/seg-{i}.wav", 400) for i in range(3)]
    for path in files:
        before.used(path)
    for age, path in zip((3000, 2000, 1000), files, strict=True):
        last_used(path, age)  # seg-0 used longest ago
    del before  # the process stops

    after = LocalCache(tmp_path, limit_bytes=500, grace=60.0)  # started again, with a lower bound

    assert [p.exists() for p in files] == [False, False, True]  # least recently used went first
    assert after.total == 400


def test_the_bound_holds_with_files_from_both_runs(tmp_path):
    first = LocalCache(tmp_path, limit_bytes=1000, grace=0.0)
    old = made(tmp_path, "clips/2/attempt-1/a.mp4", 600)
    first.used(old)
    last_used(old, 100)

    second = LocalCache(tmp_path, limit_bytes=1000, grace=0.0)
    new = made(tmp_path, "clips/3/attempt-1/b.mp4", 600)
    second.used(new)  # 1200 counted: the older file goes

    assert not old.exists() and new.exists() and second.total == 600


def test_a_file_in_use_and_files_never_counted_stay_across_a_restart(tmp_path):
    never = made(tmp_path, "clips/4/attempt-1/from-before-the-store.mp4", 5000)
    cache = LocalCache(tmp_path, limit_bytes=10_000, grace=300.0)
    busy = made(tmp_path, "clips/5/attempt-1/seg-0.wav", 800)
    cache.used(busy)  # the streamer read it a moment ago

    LocalCache(tmp_path, limit_bytes=100, grace=300.0)

    assert never.exists() and busy.exists()


def test_the_index_names_nothing_outside_its_folder_and_sheds_stale_lines(tmp_path):
    outside = made(tmp_path, "elsewhere/precious.txt", 100)
    root = tmp_path / "media"
    root.mkdir()
    (root / INDEX).write_text("../elsewhere/precious.txt\n" + str(outside) + "\n")
    LocalCache(root, limit_bytes=0, grace=0.0)
    assert outside.exists()

    cache = LocalCache(root, limit_bytes=10**9, grace=0.0)
    for i in range(400):  # each made, used and removed again: a stale line each
        path = made(root, f"clips/6/attempt-1/seg-{i}.wav", 1)
        cache.used(path)
        path.unlink()
    kept = made(root, "clips/7/attempt-1/seg-0.wav", 1)
    cache.used(kept)

    lines = (root / INDEX).read_text().splitlines()
    assert "clips/7/attempt-1/seg-0.wav" in lines and len(lines) < 300
    assert LocalCache(root, limit_bytes=10**9, grace=0.0).total == 1
