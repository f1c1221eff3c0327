"""The media store against a real S3-protocol server on 127.0.0.1 (moto's): files made in one
MEDIA_ROOT come back in another with their time; a store away, a missing object and refused
credentials each say so, never with a secret; removal, and the bounded local cache."""

from __future__ import annotations

import io
import logging
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from aijesus import mediastore
from aijesus.mediastore.cache import LocalCache
from tests.mediastore.s3server import ACCESS_KEY, SECRET_KEY, s3_server


@pytest.fixture
def s3():
    with s3_server() as server:
        yield server


@pytest.fixture
def store_settings(settings, s3, tmp_path):
    for name, value in s3.env().items():
        setattr(settings, name, value)
    settings.MEDIA_STORE_TIMEOUT = 2.0
    settings.MEDIA_ROOT = tmp_path / "here"
    return settings


def made(root: Path, name: str, data: bytes) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.utime(path, ns=(1_700_000_000_123_456_789, 1_700_000_000_123_456_789))
    return path


def test_a_file_published_here_is_fetched_elsewhere_with_its_time(store_settings, s3, tmp_path):
    path = made(store_settings.MEDIA_ROOT, "clips/7/attempt-1/seg-000.wav", b"RIFF speech")
    mediastore.publish(path)
    assert s3.objects() == ["studio/clips/7/attempt-1/seg-000.wav"]

    store_settings.MEDIA_ROOT = tmp_path / "elsewhere"  # another machine's empty folder
    fetched = mediastore.local("clips/7/attempt-1/seg-000.wav")
    assert fetched == tmp_path / "elsewhere" / "clips/7/attempt-1/seg-000.wav"
    assert fetched.read_bytes() == b"RIFF speech"
    assert fetched.stat().st_mtime_ns == 1_700_000_000_123_456_789  # caches keyed on it match
    assert not list(fetched.parent.glob(".fetch-*"))


def test_missing_objects_a_store_away_and_bad_names_say_so_without_secrets(store_settings, s3):
    with pytest.raises(mediastore.ObjectMissing, match=r"clips/9/none\.mp4 is not in the media store"):
        mediastore.local("clips/9/none.mp4")
    for bad in ("../etc/passwd", "/abs/path", ""):
        with pytest.raises(ValueError):
            mediastore.local(bad)

    path = made(store_settings.MEDIA_ROOT, "clips/8/a.mp4", b"x")
    s3.stop()
    with pytest.raises(mediastore.StoreUnavailable) as away:
        mediastore.publish(path, patience=0)
    message = str(away.value)
    assert f"bucket {s3.bucket!r} at {s3.url}" in message and "cannot be reached" in message
    assert SECRET_KEY not in message and ACCESS_KEY not in message
    s3.start()
    mediastore.publish(path, patience=0)
    assert s3.objects("studio/clips/8/") == ["studio/clips/8/a.mp4"]


def test_publish_waits_for_a_store_that_comes_back(store_settings, s3):
    path = made(store_settings.MEDIA_ROOT, "clips/5/attempt-1/clip.vtt", b"WEBVTT")
    s3.stop()
    retried = threading.Event()

    class Restart(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if "trying again" in record.getMessage() and not retried.is_set():
                retried.set()
                s3.start()  # back while the publisher waits

    handler = Restart()
    logging.getLogger("aijesus.mediastore").addHandler(handler)
    try:
        mediastore.publish(path, patience=60)
    finally:
        logging.getLogger("aijesus.mediastore").removeHandler(handler)
    assert retried.is_set()
    assert s3.objects("studio/clips/5/") == ["studio/clips/5/attempt-1/clip.vtt"]


class _Refusing(BaseHTTPRequestHandler):
    """Answers every request as S3 does a key it does not know (HTTP 403, its XML error)."""

    def _refuse(self) -> None:
        body = (
            b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>InvalidAccessKeyId</Code>'
            b"<Message>The AWS Access Key Id you provided does not exist in our records.</Message></Error>"
        )
        self.send_response(403)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_PUT = do_HEAD = do_POST = _refuse

    def log_message(self, *args: object) -> None:
        return None


def test_refused_credentials_are_named_not_shown(settings, tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Refusing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        settings.MEDIA_STORAGE, settings.MEDIA_S3_BUCKET = "s3", "studio-media"
        settings.MEDIA_S3_ENDPOINT_URL = f"http://127.0.0.1:{server.server_port}"
        settings.MEDIA_S3_ACCESS_KEY_ID, settings.MEDIA_S3_SECRET_ACCESS_KEY = ACCESS_KEY, SECRET_KEY
        settings.MEDIA_ROOT = tmp_path
        path = made(tmp_path, "clips/1/a.wav", b"x")
        with pytest.raises(mediastore.StoreUnavailable) as refused:
            mediastore.publish(path, patience=0)
        assert "refused the credentials (InvalidAccessKeyId)" in str(refused.value)
        with pytest.raises(mediastore.StoreUnavailable, match="refused the credentials"):
            mediastore.store().check()
        assert SECRET_KEY not in str(refused.value) and ACCESS_KEY not in str(refused.value)
    finally:
        server.shutdown()


def test_remove_takes_an_attempt_and_leaves_its_neighbours(store_settings, s3):
    root = store_settings.MEDIA_ROOT
    for name in ("clips/3/attempt-1/a.wav", "clips/3/attempt-1/a.json", "clips/3/attempt-10/b.wav"):
        mediastore.publish(made(root, name, b"x"))
    mediastore.remove("clips/3/attempt-1")
    assert s3.objects() == ["studio/clips/3/attempt-10/b.wav"]
    mediastore.remove("clips/3")
    assert s3.objects() == []


def test_the_local_store_sends_nothing(settings, tmp_path):
    settings.MEDIA_STORAGE, settings.MEDIA_ROOT = "local", tmp_path
    path = made(tmp_path, "clips/1/a.wav", b"x")
    mediastore.publish(path, patience=0)
    mediastore.remove("clips/1")
    assert mediastore.local("clips/1/a.wav") == path and path.exists()
    assert not mediastore.remote()


def test_the_local_cache_keeps_the_newest_within_its_bound(tmp_path):
    before = made(tmp_path, "clips/1/attempt-1/from-before-the-store.mp4", b"x" * 5000)
    cache = LocalCache(tmp_path, limit_bytes=1000, grace=0.0)
    files = []
    for i in range(3):
        files.append(made(tmp_path, f"clips/2/attempt-1/seg-{i}.wav", b"x" * 400))
        cache.used(files[-1])
    assert [p.exists() for p in files] == [False, True, True]
    assert cache.total == 800
    assert before.exists()  # never sent nor fetched here: perhaps in no store at all, never removed


def test_a_file_another_process_used_lately_stays(tmp_path):
    mine = LocalCache(tmp_path, limit_bytes=500, grace=300.0)
    theirs = LocalCache(tmp_path, limit_bytes=10**9, grace=300.0)  # the streamer, sharing the folder
    old = made(tmp_path, "clips/3/attempt-1/seg-0.wav", b"x" * 400)
    mine.used(old)
    os.utime(old, ns=(1_000_000_000, 1_000_000_000))  # long unused...
    theirs.used(old)  # ...until the streamer fetched it ahead of air: in use again
    mine.used(made(tmp_path, "clips/3/attempt-1/seg-1.wav", b"x" * 400))
    assert old.exists() and old.stat().st_mtime_ns == 1_000_000_000  # kept, its time untouched


@pytest.mark.django_db
def test_the_system_page_names_the_store_and_never_its_keys(store_settings, s3, admin_client):
    from aijesus.studio.system.services import media_store_check

    ok = media_store_check()
    assert (ok.status, ok.value) == ("ok", f"bucket {s3.bucket!r} at {s3.url} (prefix studio/)")
    page = admin_client.get("/system/").content.decode()
    assert s3.bucket in page and SECRET_KEY not in page and ACCESS_KEY not in page
    s3.stop()
    down = media_store_check()
    assert down.status == "fail" and "cannot be reached" in down.detail and "MEDIA_S3_" in down.fix


def test_the_command_creates_the_bucket_and_checks_it(store_settings, s3):
    from django.core.management import CommandError, call_command

    store_settings.MEDIA_S3_BUCKET = "studio-made-by-command"
    out = io.StringIO()
    call_command("mediastore", "--create-bucket", stdout=out)
    assert "Created bucket 'studio-made-by-command'" in out.getvalue()
    call_command("mediastore", "--create-bucket", stdout=out)
    assert "Found bucket 'studio-made-by-command'" in out.getvalue()
    s3.stop()
    with pytest.raises(CommandError, match="cannot be reached"):
        call_command("mediastore", stdout=out)


@pytest.mark.django_db
def test_avatars_from_before_the_store_are_sent(store_settings, s3):
    from django.core.files.base import ContentFile
    from django.core.management import call_command

    from aijesus.studio.models import Avatar

    store_settings.MEDIA_STORAGE = "local"  # uploaded before the switch
    avatar = Avatar.objects.create(name="Old", kind=Avatar.Kind.VIDEO)
    avatar.source.save("old.png", ContentFile(b"png"))
    store_settings.MEDIA_STORAGE = "s3"
    out = io.StringIO()
    call_command("mediastore", "--send-avatars", stdout=out)
    assert "Sent 1 avatar file(s)." in out.getvalue()
    assert s3.objects(f"studio/{avatar.source.name}") == [f"studio/{avatar.source.name}"]
