"""Sealed values (Twitch tokens, per-persona keys) under TOKEN_ENCRYPTION_KEY: rotation, the key
generated into DATA_DIR, values sealed under the old SECRET_KEY-derived key, and `tokenkey`."""

from __future__ import annotations

import base64
import io
import stat

import pytest
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from aijesus.chat import crypto
from aijesus.chat.models import TwitchAccount

OLD = "old-token-key-" + "o" * 40
NEW = "new-token-key-" + "n" * 40
SECRET = "the-django-secret-key-" + "s" * 40


def sealed_before_token_keys(plain: str, secret_key: str) -> str:
    """A value as the studio sealed it before TOKEN_ENCRYPTION_KEY: under a key derived from
    SECRET_KEY (what existing databases hold)."""
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"aijesus.chat", info=b"twitch-tokens").derive(
        secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key)).encrypt(plain.encode()).decode()


def test_it_seals_and_opens_with_the_configured_key(settings):
    settings.TOKEN_ENCRYPTION_KEY = NEW
    sealed = crypto.seal("oauth-access-token")
    assert "oauth-access-token" not in sealed
    assert crypto.unseal(sealed) == "oauth-access-token"
    settings.TOKEN_ENCRYPTION_KEY = OLD
    with pytest.raises(crypto.Unreadable):
        crypto.unseal(sealed)


def test_it_rotates_the_first_key_seals_and_every_key_opens(settings):
    settings.TOKEN_ENCRYPTION_KEY = OLD
    under_old = crypto.seal("refresh")
    settings.TOKEN_ENCRYPTION_KEY = f"{NEW}, {OLD}"
    assert crypto.unseal(under_old) == "refresh"
    under_new = crypto.reseal(under_old)
    assert under_new is not None and crypto.reseal(under_new) is None  # already under the first key
    settings.TOKEN_ENCRYPTION_KEY = NEW  # the old key dropped: what was re-sealed still opens
    assert crypto.unseal(under_new) == "refresh"
    assert crypto.unseal(crypto.seal("x")) == "x"


def test_it_still_opens_what_was_sealed_under_the_secret_key(settings):
    settings.SECRET_KEY, settings.TOKEN_ENCRYPTION_KEY = SECRET, NEW
    legacy = sealed_before_token_keys("access", SECRET)
    assert crypto.unseal(legacy) == "access"
    assert crypto.reseal(legacy) is not None
    settings.SECRET_KEY = "another-secret-key-" + "z" * 40
    with pytest.raises(crypto.Unreadable):
        crypto.unseal(legacy)


def test_unset_it_generates_a_private_key_once_into_the_data_dir(settings, tmp_path):
    settings.TOKEN_ENCRYPTION_KEY, settings.DATA_DIR = "", tmp_path
    sealed = crypto.seal("access")
    path = tmp_path / "token_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert crypto.keys() == [path.read_text().strip()]
    assert crypto.unseal(sealed) == "access"


def test_a_process_started_without_the_key_neither_opens_nor_makes_one(settings, tmp_path, monkeypatch):
    settings.TOKEN_ENCRYPTION_KEY, settings.DATA_DIR = "", tmp_path
    monkeypatch.setenv("STUDIO_ROLE", "gpu-worker")  # as aijesus.processes starts a rented GPU worker
    with pytest.raises(crypto.NotGiven, match="gpu-worker"):
        crypto.unseal("gAAAA-anything")
    with pytest.raises(crypto.Unreadable):  # what callers that cope with a lost key catch
        crypto.seal("access")
    assert not (tmp_path / "token_key").exists()


def test_a_short_key_is_refused_without_being_shown(settings):
    settings.TOKEN_ENCRYPTION_KEY = "short-key"
    with pytest.raises(ImproperlyConfigured, match="9 characters") as refused:
        crypto.seal("access")
    assert "short-key" not in str(refused.value)


def test_tokenkey_new_prints_a_key_that_works(settings):
    out = io.StringIO()
    call_command("tokenkey", "new", stdout=out)
    settings.TOKEN_ENCRYPTION_KEY = out.getvalue().strip()
    assert len(settings.TOKEN_ENCRYPTION_KEY) >= crypto.MIN_KEY_CHARS
    assert crypto.unseal(crypto.seal("access")) == "access"


@pytest.mark.django_db
def test_tokenkey_rotate_reseals_every_stored_token_with_the_first_key(settings, monkeypatch):
    settings.SECRET_KEY, settings.TOKEN_ENCRYPTION_KEY = SECRET, OLD
    current = TwitchAccount.store(user_id="1", login="bot", access="a1", refresh="r1", scopes=[])
    upgraded = TwitchAccount.objects.create(
        user_id="2",
        login="owner",
        access_token=sealed_before_token_keys("a2", SECRET),
        refresh_token=sealed_before_token_keys("r2", SECRET),
    )
    # A model another part of the studio has not installed yet is skipped, not an error.
    monkeypatch.setattr(crypto, "SEALED_FIELDS", (*crypto.SEALED_FIELDS, ("nowhere.Missing", ("x",))))
    settings.TOKEN_ENCRYPTION_KEY = f"{NEW},{OLD}"
    out = io.StringIO()
    call_command("tokenkey", "rotate", stdout=out)
    assert "Re-sealed 4 value(s)" in out.getvalue() and "0 cannot be opened" in out.getvalue()

    settings.TOKEN_ENCRYPTION_KEY, settings.SECRET_KEY = NEW, "another-secret-key-" + "z" * 40
    assert TwitchAccount.objects.get(pk=current.pk).tokens() == ("a1", "r1")
    assert TwitchAccount.objects.get(pk=upgraded.pk).tokens() == ("a2", "r2")
    out = io.StringIO()
    call_command("tokenkey", "rotate", stdout=out)
    assert "Re-sealed 0 value(s) with the first key; 4 already were" in out.getvalue()


def test_every_sealed_field_is_rotated():
    assert ("chat.TwitchAccount", ("access_token", "refresh_token")) in crypto.SEALED_FIELDS
    assert ("studio.EndpointKey", ("sealed_key",)) in crypto.SEALED_FIELDS
