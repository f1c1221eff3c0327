"""Which API key goes to which engine address: the rule that keeps a key where it was set.

The studio's LLM_API_KEY goes only to LLM_BASE_URL (empty: the OpenAI API). A persona naming any
other address is answered only with that address's own key, saved by an owner (EndpointKey);
otherwise nothing is sent at all — never the studio's key "to try". Voices (TTS_ENGINE=openai) use
LLM_BASE_URL and its key only; the chat checks (CHAT_CHECK_BASE_URL) get LLM_API_KEY only at that
same address (settings.py); S3 and Twitch addresses come from the environment alone.
"""

from __future__ import annotations

from django.conf import settings

from aijesus.chat.crypto import NotGiven, Unreadable
from aijesus.studio.models import EndpointKey
from aijesus.studio.models.endpoint import normalize_address


class KeyRefused(Exception):
    """No key may go to this address; the message says why and who can fix it."""


def studio_llm_address() -> str:
    return normalize_address(settings.LLM_BASE_URL)


def llm_key_for(address: str) -> str:
    """The key to send with a request to `address` ("" = the studio's own LLM_BASE_URL)."""
    wanted = normalize_address(address) or studio_llm_address()
    if wanted == studio_llm_address():
        return settings.LLM_API_KEY
    row = EndpointKey.objects.filter(kind=EndpointKey.Kind.LLM, address=wanted).first()
    if row is None:
        raise KeyRefused(
            f"nothing was sent to {wanted}: the studio's LLM_API_KEY goes only to LLM_BASE_URL "
            f"({studio_llm_address() or 'the OpenAI API'}), and no owner has set a key for this address "
            "(an owner sets it on the persona's page; a local server that needs none is saved with "
            "an empty key)"
        )
    try:
        return row.key()
    except NotGiven:
        raise KeyRefused(
            f"{wanted} has a key of its own, but this process is not given TOKEN_ENCRYPTION_KEY to "
            "open it (a worker on a machine the studio does not control never is): build this "
            "persona's answers on a worker at home"
        ) from None
    except Unreadable:
        raise KeyRefused(
            f"the key saved for {wanted} cannot be opened with this TOKEN_ENCRYPTION_KEY: "
            "an owner must set it again on the persona's page"
        ) from None


def key_state(address: str) -> tuple[bool, str]:
    """For pages: whether a request to `address` may go, and how it would be keyed (never the key)."""
    wanted = normalize_address(address) or studio_llm_address()
    if wanted == studio_llm_address():
        return True, "the studio's LLM_API_KEY" if settings.LLM_API_KEY else "none (LLM_API_KEY not set)"
    row = EndpointKey.objects.filter(kind=EndpointKey.Kind.LLM, address=wanted).first()
    if row is None:
        return False, "none: no key set for this address, so nothing is sent"
    return True, f"its own, set {row.set_at:%Y-%m-%d} by {row.set_by or 'an owner'}"
