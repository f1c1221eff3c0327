"""The disk budget with an S3-compatible store (moto's, on 127.0.0.1): the clip media are measured
in the bucket, and a clip's files go from the bucket as well as from this machine's copy; a store
that does not answer leaves the clip marked and its files are removed by a later pass."""

from __future__ import annotations

import pytest

from aijesus import mediastore
from aijesus.studio import retention
from aijesus.studio.clip_media import attempt_dir
from tests.mediastore.s3server import s3_server
from tests.studio.disk_budget import KB, clip_with_files, removed

pytestmark = pytest.mark.django_db


@pytest.fixture
def s3(settings, tmp_path):
    with s3_server() as server:
        for name, value in server.env().items():
            setattr(settings, name, value)
        settings.MEDIA_STORE_TIMEOUT, settings.MEDIA_STORE_RETRY_SECONDS = 2.0, 0.0
        settings.MEDIA_ROOT = tmp_path / "media"
        settings.MEDIA_MAX_AGE_DAYS = 0
        yield server


def published(persona, *, kb: int, days_ago: float):
    clip = clip_with_files(persona, kb=kb, days_ago=days_ago)
    for path in attempt_dir(clip.pk, 1).iterdir():
        mediastore.publish(path)
    return clip


def test_the_pass_measures_the_bucket_and_removes_from_it(persona, s3, settings):
    old = published(persona, kb=100, days_ago=5)
    new = published(persona, kb=100, days_ago=1)
    for path in attempt_dir(new.pk, 1).iterdir():
        path.unlink()  # this machine holds no copy of the newer clip: it is counted in the bucket
    settings.MEDIA_MAX_GB = 150 * KB / retention.GB

    done = retention.sweep()

    assert done.removed == [old.pk] and done.used_bytes == 100 * KB
    assert s3.objects(f"studio/clips/{old.pk}/") == [] and not attempt_dir(old.pk, 1).exists()
    assert len(s3.objects(f"studio/clips/{new.pk}/")) == 2


def test_files_a_store_away_kept_are_removed_by_the_next_pass(persona, s3, settings, monkeypatch):
    clip = published(persona, kb=100, days_ago=5)
    settings.MEDIA_MAX_GB = 10 * KB / retention.GB
    store = mediastore.store()

    def away(prefix: str) -> int:
        raise mediastore.StoreUnavailable("the media store cannot be reached (test)")

    with monkeypatch.context() as patch:
        patch.setattr(store, "delete_prefix", away)
        done = retention.sweep()
    assert done.removed == [clip.pk] and "cannot be reached" in done.error
    assert removed(clip) and len(s3.objects(f"studio/clips/{clip.pk}/")) == 2  # marked; files kept

    assert retention.sweep().leftovers == [clip.pk]
    assert s3.objects(f"studio/clips/{clip.pk}/") == []
