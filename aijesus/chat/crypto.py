"""Secrets at rest (Twitch tokens, per-persona API keys): Fernet (AES-128-CBC + HMAC) under
TOKEN_ENCRYPTION_KEY, a key of their own.

A database dump alone does not give them away, and neither does a machine that holds SECRET_KEY
but not this key (a rented GPU worker). TOKEN_ENCRYPTION_KEY is a comma-separated list: the first
key seals, every key opens, so a key is rotated by putting a new one first and running
`manage.py tokenkey rotate`, which re-seals every value with it; then the old one can go. Unset,
a key is generated once into DATA_DIR/token_key (mode 0600).

Values sealed before this key existed were sealed with a key derived from SECRET_KEY: it still
opens them where SECRET_KEY is at hand (the web, `manage.py studio` at start, which re-seals them).
"""

from __future__ import annotations

import base64
import os
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from aijesus import processes
from aijesus.env import persistent_secret_key

MIN_KEY_CHARS = 32
# Every model field that holds seal()'s output, as (app_label.Model, fields): `tokenkey rotate`
# re-seals them. A model not installed (yet) is skipped.
SEALED_FIELDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("chat.TwitchAccount", ("access_token", "refresh_token")),
    ("studio.EndpointKey", ("sealed_key",)),
)


class Unreadable(Exception):
    """A sealed value no configured key opens (the key changed, or the value was tampered with)."""


class NotGiven(Unreadable, ImproperlyConfigured):
    """This process was started without TOKEN_ENCRYPTION_KEY (aijesus/processes.py): it can
    neither seal nor open. An Unreadable too, so a caller that copes with a lost key copes."""


def keys() -> list[str]:
    """The configured keys, the sealing one first (generated into DATA_DIR on first use)."""
    configured = [key.strip() for key in settings.TOKEN_ENCRYPTION_KEY.split(",") if key.strip()]
    if configured:
        return configured
    if processes.withheld(processes.TOKEN_ENCRYPTION_KEY):
        # Not the file either: a process without the key must not read (or make) one.
        raise NotGiven(
            f"TOKEN_ENCRYPTION_KEY is not given to the {os.environ.get(processes.ROLE_VAR)} process: "
            "it cannot seal or open tokens and per-persona keys (aijesus/processes.py)"
        )
    return [_generated(Path(settings.DATA_DIR) / "token_key")]


def new_key() -> str:
    return secrets.token_urlsafe(32)


def seal(plain: str) -> str:
    return _sealer(tuple(keys()), _legacy_secret()).encrypt(plain.encode()).decode()


def unseal(sealed: str) -> str:
    try:
        return _sealer(tuple(keys()), _legacy_secret()).decrypt(sealed.encode()).decode()
    except InvalidToken:
        raise Unreadable("the sealed value cannot be opened with TOKEN_ENCRYPTION_KEY") from None


def reseal(sealed: str) -> str | None:
    """`sealed` sealed again with the first key, or None when it already is."""
    ring = tuple(keys())
    try:
        _fernet(ring[0]).decrypt(sealed.encode())
        return None
    except InvalidToken:
        pass
    try:
        return _sealer(ring, _legacy_secret()).rotate(sealed.encode()).decode()
    except InvalidToken:
        raise Unreadable("the sealed value cannot be opened with TOKEN_ENCRYPTION_KEY") from None


@dataclass
class Resealed:
    changed: int = 0
    current: int = 0
    unreadable: int = 0


def reseal_all() -> Resealed:
    """Re-seal every value of `SEALED_FIELDS` with the first key. Each write is conditional on
    the value read: a token the chat reader refreshed meanwhile is already sealed with that key."""
    from django.apps import apps

    keys()  # made now if it is to be generated: by setup, before the processes that share it
    counts = Resealed()
    for label, fields in SEALED_FIELDS:
        try:
            model = apps.get_model(label)
        except LookupError:
            continue
        for pk, *values in model.objects.values_list("pk", *fields):
            for field, value in zip(fields, values, strict=True):
                if not value:
                    continue
                try:
                    fresh = reseal(value)
                except Unreadable:
                    counts.unreadable += 1
                    continue
                if fresh is None:
                    counts.current += 1
                else:
                    counts.changed += model.objects.filter(pk=pk, **{field: value}).update(**{field: fresh})
    return counts


def _legacy_secret() -> str:
    # A process started without SECRET_KEY holds a random one (aijesus/processes.py): no use.
    return "" if processes.withheld(processes.SECRET_KEY) else settings.SECRET_KEY


@lru_cache(maxsize=4)
def _generated(path: Path) -> str:
    return persistent_secret_key(path)


@lru_cache(maxsize=8)
def _sealer(ring: tuple[str, ...], legacy: str) -> MultiFernet:
    openers = [_fernet(key) for key in ring]
    if legacy:
        openers.append(_derived(legacy, salt=b"aijesus.chat", info=b"twitch-tokens"))
    return MultiFernet(openers)


@lru_cache(maxsize=8)
def _fernet(key: str) -> Fernet:
    if len(key) < MIN_KEY_CHARS:
        # Never the key itself in a message: its length is enough to find the mistake.
        raise ImproperlyConfigured(
            f"TOKEN_ENCRYPTION_KEY: a key of {len(key)} characters is too short (at least "
            f"{MIN_KEY_CHARS}); make one with `python manage.py tokenkey new`"
        )
    return _derived(key, salt=b"aijesus.tokens", info=b"sealed-values")


def _derived(secret: str, *, salt: bytes, info: bytes) -> Fernet:
    """Any long random string makes a key: HKDF stretches it to Fernet's 32 bytes."""
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(secret.encode())
    return Fernet(base64.urlsafe_b64encode(key))
