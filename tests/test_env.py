import os
import stat
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.exceptions import ImproperlyConfigured

from aijesus.env import (
    env_bool,
    env_choice,
    env_float,
    env_int,
    env_list,
    env_str,
    persistent_secret_key,
)


def test_it_reads_booleans_and_refuses_anything_else(monkeypatch):
    monkeypatch.setenv("X_FLAG", "yes")
    assert env_bool("X_FLAG") is True
    monkeypatch.setenv("X_FLAG", "0")
    assert env_bool("X_FLAG", True) is False
    monkeypatch.setenv("X_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="X_FLAG='maybe' is not a boolean"):
        env_bool("X_FLAG")


def test_it_reads_numbers_with_limits(monkeypatch):
    monkeypatch.setenv("X_N", "12")
    assert env_int("X_N", 1) == 12
    monkeypatch.setenv("X_N", "twelve")
    with pytest.raises(ImproperlyConfigured, match="not an integer"):
        env_int("X_N", 1)
    monkeypatch.setenv("X_N", "0")
    with pytest.raises(ImproperlyConfigured, match="below the minimum 1"):
        env_int("X_N", 5, minimum=1)
    monkeypatch.setenv("X_F", "2.5")
    assert env_float("X_F", 1.0, maximum=3) == 2.5
    monkeypatch.setenv("X_F", "nan-ish")
    with pytest.raises(ImproperlyConfigured, match="not a number"):
        env_float("X_F", 1.0)


def test_it_uses_defaults_when_unset(monkeypatch):
    monkeypatch.delenv("X_UNSET", raising=False)
    assert env_int("X_UNSET", 7) == 7
    assert env_list("X_UNSET", ["a"]) == ["a"]
    assert env_choice("X_UNSET", ["a", "b"], "b") == "b"


def test_it_refuses_an_unknown_engine(monkeypatch):
    monkeypatch.setenv("X_ENGINE", "gpt9")
    with pytest.raises(ImproperlyConfigured, match="X_ENGINE='gpt9' is not one of: offline, openai"):
        env_choice("X_ENGINE", ["offline", "openai"], "offline")


def test_it_splits_lists(monkeypatch):
    monkeypatch.setenv("X_HOSTS", " a.example , b.example,,")
    assert env_list("X_HOSTS") == ["a.example", "b.example"]


def test_it_reads_secrets_from_files(monkeypatch, tmp_path):
    secret = tmp_path / "key"
    secret.write_text("s3cret\n")
    monkeypatch.setenv("X_KEY_FILE", str(secret))
    assert env_str("X_KEY") == "s3cret"
    monkeypatch.setenv("X_KEY_FILE", str(tmp_path / "missing"))
    with pytest.raises(ImproperlyConfigured, match="cannot be read"):
        env_str("X_KEY")


def test_it_generates_the_secret_key_once_and_keeps_it_private(tmp_path):
    path = tmp_path / "data" / "secret_key"
    first = persistent_secret_key(path)
    assert len(first) >= 50
    assert persistent_secret_key(path) == first
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_processes_starting_at_once_all_get_the_one_key(tmp_path):
    path = tmp_path / "data" / "secret_key"
    with ThreadPoolExecutor(max_workers=16) as pool:
        keys = set(pool.map(lambda _: persistent_secret_key(path), range(64)))
    assert len(keys) == 1 and len(keys.pop()) >= 50
    assert [p.name for p in path.parent.iterdir()] == ["secret_key"]  # no drafts left behind
