"""An engine address an owner allowed, with its own API key, sealed.

A key is bound to the address it was set for (as an integration keeps its URL and secret
together): the studio's LLM_API_KEY goes only to LLM_BASE_URL, and a persona that names another
address is answered only when an owner saved that address here, with its key (or with none, for a
local server that wants none). Changing a persona's address without its key sends nothing.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.db import models
from django.utils import timezone

from aijesus.chat.crypto import seal, unseal


def normalize_address(address: str) -> str:
    """One spelling per address: scheme and host lower-case, no trailing slash, no query."""
    address = (address or "").strip()
    if not address:
        return ""
    parts = urlsplit(address)
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/"), "", ""))


class EndpointKey(models.Model):
    class Kind(models.TextChoices):
        LLM = "llm", "Answer engine (OpenAI-compatible)"

    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.LLM)
    address = models.CharField(max_length=300)  # normalized, see normalize_address
    sealed_key = models.TextField(editable=False)  # seal(key); an empty key is sealed too
    set_at = models.DateTimeField(default=timezone.now)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "address"], name="one_key_per_address")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.address}"

    def __repr__(self) -> str:  # never the key, even sealed
        return f"<EndpointKey {self.kind} {self.address}>"

    def key(self) -> str:
        """The key in clear. Raises ``crypto.Unreadable`` when TOKEN_ENCRYPTION_KEY changed."""
        return unseal(self.sealed_key)

    @classmethod
    def put(cls, kind: str, address: str, key: str, *, by: object = None) -> EndpointKey:
        row, _ = cls.objects.update_or_create(
            kind=kind,
            address=normalize_address(address),
            defaults={
                "sealed_key": seal(key),
                "set_at": timezone.now(),
                "set_by": by if getattr(by, "pk", None) else None,
            },
        )
        return row
