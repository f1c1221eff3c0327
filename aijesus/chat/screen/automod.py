"""Twitch's own AutoMod over Helix: Check AutoMod Status (a prescreen step) and Manage Held
AutoMod Messages (our moderators' decision on a message AutoMod held, sent back to Twitch).

`POST /helix/moderation/enforcements/status?broadcaster_id=…` with the channel owner's token
(scope `moderation:read`) takes up to 100 messages and says of each whether AutoMod, at the
channel's own level, would let it through. Twitch limits the calls per channel (5 a minute and 50
an hour for most channels, more for affiliates and partners: CHAT_AUTOMOD_PER_MINUTE / _PER_HOUR),
so the step keeps its own budget and never sends a call Twitch would refuse.

Anything short of an answer (no budget, a timeout, an error, an answer we cannot read) raises
`NotChecked` with the reason; the caller records "not checked" and the message is kept. Where
Twitch no longer serves the endpoint (404 / 410), `Gone` says so and the caller turns the step off.

`POST /helix/moderation/automod/message` (`moderator:manage:automod`) allows or denies one held
message; a refusal raises `NotResolved`, saying whether trying again could help. No message here
contains the token.
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import deque
from collections.abc import Callable
from typing import Any

BATCH = 100  # messages per call, Twitch's maximum
SCOPE = "moderation:read"
MANAGE_SCOPE = "moderator:manage:automod"  # held messages: their events, and ALLOW / DENY


class NotChecked(Exception):
    """AutoMod did not judge these messages; the message says why."""


class NotResolved(Exception):
    """Twitch did not take our ALLOW/DENY; `final` when trying again cannot help."""

    def __init__(self, message: str, *, final: bool) -> None:
        super().__init__(message)
        self.final = final


class Gone(NotChecked):
    """Twitch does not serve Check AutoMod Status any more: the step turns itself off."""


class Budget:
    """Calls allowed per minute and per hour, counted here (Twitch counts per channel)."""

    def __init__(self, per_minute: int, per_hour: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = ((60.0, per_minute), (3600.0, per_hour))
        self.clock = clock
        self.calls: deque[float] = deque()

    def take(self) -> bool:
        now = self.clock()
        while self.calls and now - self.calls[0] >= 3600.0:
            self.calls.popleft()
        for window, limit in self.limits:
            if sum(1 for at in self.calls if now - at < window) >= limit:
                return False
        self.calls.append(now)
        return True


class AutoMod:
    def __init__(self, *, base: str, client_id: str, timeout: float, budget: Budget) -> None:
        self.url = base.rstrip("/") + "/moderation/enforcements/status"
        self.resolve_url = base.rstrip("/") + "/moderation/automod/message"
        self.client_id = client_id
        self.timeout = timeout
        self.budget = budget

    def check(self, broadcaster_id: str, token: str, messages: list[tuple[str, str]]) -> dict[str, bool]:
        """{msg_id: permitted} for (msg_id, text) pairs, in calls of up to 100."""
        verdicts: dict[str, bool] = {}
        for start in range(0, len(messages), BATCH):
            verdicts.update(self._call(broadcaster_id, token, messages[start : start + BATCH]))
        return verdicts

    def _call(self, broadcaster_id: str, token: str, batch: list[tuple[str, str]]) -> dict[str, bool]:
        if not self.budget.take():
            per_minute, per_hour = (limit for _, limit in self.budget.limits)
            raise NotChecked(f"Twitch allows {per_minute} AutoMod checks a minute and {per_hour} an hour")
        body = {"data": [{"msg_id": msg_id, "msg_text": text} for msg_id, text in batch]}
        try:
            query = urllib.parse.urlencode({"broadcaster_id": broadcaster_id})
            raw = self._post(f"{self.url}?{query}", token, body)
        except _Refused as exc:
            raise _refusal(exc.status) from None
        return _verdicts(raw, {msg_id for msg_id, _ in batch})

    def resolve(self, moderator_id: str, token: str, message_id: str, *, allow: bool) -> None:
        """Manage Held AutoMod Messages: ALLOW or DENY a held message as moderator `moderator_id`
        (its token, with moderator:manage:automod). Raises `NotResolved` with the reason."""
        body = {"user_id": moderator_id, "msg_id": message_id, "action": "ALLOW" if allow else "DENY"}
        try:
            self._post(self.resolve_url, token, body)
        except _Refused as exc:
            raise _not_resolved(exc.status) from None
        except NotChecked as exc:
            raise NotResolved(str(exc), final=False) from None

    def _post(self, url: str, token: str, body: dict[str, Any]) -> bytes:
        request = urllib.request.Request(
            url,
            data=json.dumps(body).encode(),
            headers={
                "Client-Id": self.client_id,
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
            },
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.read()
        except urllib.error.HTTPError as exc:
            raise _Refused(exc.code) from None
        except http.client.HTTPException as exc:  # an answer cut off or not HTTP at all
            raise NotChecked(f"Twitch's answer broke off ({type(exc).__name__})") from None
        except TimeoutError:
            raise NotChecked(f"Twitch did not answer within {self.timeout:g} s") from None
        except (urllib.error.URLError, OSError) as exc:
            if isinstance(getattr(exc, "reason", None), TimeoutError):
                raise NotChecked(f"Twitch did not answer within {self.timeout:g} s") from None
            raise NotChecked(
                f"Twitch could not be reached ({type(getattr(exc, 'reason', exc)).__name__})"
            ) from None


class _Refused(Exception):
    def __init__(self, status: int) -> None:
        self.status = status


def _not_resolved(status: int) -> NotResolved:
    if status == 404:
        return NotResolved("Twitch no longer holds this message (resolved or expired there)", final=True)
    if status == 400:
        return NotResolved("Twitch refused the request as malformed (HTTP 400)", final=True)
    if status == 401:
        return NotResolved(
            f"Twitch refused the channel owner's token (HTTP 401): it needs {MANAGE_SCOPE}", final=False
        )
    if status == 403:
        return NotResolved("the connected account is not a moderator of the channel (HTTP 403)", final=True)
    if status == 429:
        return NotResolved("Twitch's rate limit was reached (HTTP 429)", final=False)
    return NotResolved(f"Twitch answered HTTP {status}", final=False)


def _refusal(status: int) -> NotChecked:
    if status in (404, 410):
        return Gone(f"Twitch no longer serves Check AutoMod Status (HTTP {status})")
    if status == 401:
        return NotChecked("Twitch refused the channel owner's token (HTTP 401); the reader refreshes it")
    if status == 403:
        return NotChecked(f"the channel owner's token lacks {SCOPE} (HTTP 403): connect Twitch again")
    if status == 429:
        return NotChecked("Twitch's AutoMod rate limit was reached (HTTP 429)")
    return NotChecked(f"Twitch answered HTTP {status}")


def _verdicts(raw: bytes, asked: set[str]) -> dict[str, bool]:
    try:
        rows: Any = json.loads(raw)["data"]
        found = {str(row["msg_id"]): row["is_permitted"] for row in rows}
    except (ValueError, KeyError, TypeError):
        raise NotChecked("Twitch's answer was not the AutoMod status format") from None
    if set(found) != asked or not all(isinstance(v, bool) for v in found.values()):
        raise NotChecked("Twitch's answer did not judge every message it was sent")
    return found
