"""An avatar upload's slow checks (unpacking a zip, decoding a video) run with no transaction open:
while they run, another connection writes without waiting (on SQLite a write transaction held by
the upload would lock it out, and a worker's progress write would time out).

The upload runs in a thread and is stopped by a `Gate` inside the check; the test writes meanwhile,
with writes that fail at once instead of waiting for a lock.
"""

from pathlib import Path

import pytest
from django.db import connection, transaction
from django.test import Client

from aijesus.studio import avatar_files
from aijesus.studio.models import Avatar
from tests.studio.concurrency import Gate, Worker, finish_workers, writes_that_never_wait
from tests.studio.test_avatars_views import files_under, mp4, sprite_zip, upload

pytestmark = pytest.mark.django_db(transaction=True)

UPLOADS = {
    "sprite set": ("painted.zip", sprite_zip(), "sprite"),
    "loop video": ("loop.mp4", mp4(), "video"),
}


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


class CheckGate(Gate):
    in_transaction: bool | None = None  # whether the upload's connection was in one at the gate


@pytest.fixture
def checking(monkeypatch):
    """Stops the upload inside its slow check (unpacking the zip, decoding the video)."""
    gate = CheckGate()

    def stopped(check):
        def wrapper(*args, **kwargs):
            gate.in_transaction = connection.in_atomic_block
            gate.stop_here()
            return check(*args, **kwargs)

        return wrapper

    for name in ("check_sprite_set", "check_picture"):
        monkeypatch.setattr(avatar_files, name, stopped(getattr(avatar_files, name)))
    yield gate
    gate.opened.set()
    finish_workers()


def start_upload(user, filename: str, content: bytes, kind: str) -> Worker:
    client = Client()
    client.force_login(user)
    worker = Worker(lambda: upload(client, "Painted", filename, content, kind=kind), name="upload")
    worker.start()
    return worker


@pytest.mark.parametrize("what", UPLOADS)
def test_it_checks_an_upload_with_no_transaction_open_so_others_can_write(moderator, checking, what):
    uploading = start_upload(moderator, *UPLOADS[what])
    checking.wait_reached()

    with writes_that_never_wait(), transaction.atomic():
        Avatar.objects.create(name="Written meanwhile")
    checking.opened.set()

    assert uploading.outcome().status_code == 302
    assert checking.in_transaction is False
    assert set(Avatar.objects.values_list("name", flat=True)) == {"Painted", "Written meanwhile"}


def test_a_name_taken_while_the_upload_was_checked_is_refused_and_leaves_no_file(
    moderator, checking, media_root
):
    uploading = start_upload(moderator, *UPLOADS["sprite set"])
    checking.wait_reached()
    Avatar.objects.create(name="Painted")  # another upload, finished first
    checking.opened.set()

    refused = uploading.outcome()
    assert refused.status_code == 400
    assert "Another avatar already has this name" in " ".join(refused.context["form"].errors["name"])
    assert Avatar.objects.filter(name="Painted").get().source.name == ""
    assert files_under(media_root) == []
