"""Twitch tokens at rest: Fernet (AES-128-CBC + HMAC) with a key derived from SECRET_KEY.

A database dump alone does not give the tokens away. Changing SECRET_KEY makes stored tokens
unreadable; the dashboard then asks to connect Twitch again.
"""

from __future__ import annotations

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


class Unreadable(Exception):
    """A sealed value this SECRET_KEY cannot open (the key changed, or the value was tampered with)."""


@lru_cache(maxsize=4)
def _fernet(secret_key: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"aijesus.chat", info=b"twitch-tokens").derive(
        secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def seal(plain: str) -> str:
    return _fernet(settings.SECRET_KEY).encrypt(plain.encode()).decode()


def unseal(sealed: str) -> str:
    try:
        return _fernet(settings.SECRET_KEY).decrypt(sealed.encode()).decode()
    except InvalidToken:
        raise Unreadable("stored token cannot be decrypted with this SECRET_KEY") from None
