"""The optional remote checks applied to a screened batch: moderation flags drop a question; the
guardrail's labels hold it for a moderator; an endpoint that fails holds the whole batch (a
question is never auto-approved unchecked)."""

from __future__ import annotations

import logging
from dataclasses import replace

from django.conf import settings

from aijesus.chat.message import ChatEvent
from aijesus.chat.screen.prescreen import DROPPED, FLAGGED, Screened
from aijesus.chat.screen.remote import CheckFailed, RemoteChecks
from aijesus.studio.models import Persona

log = logging.getLogger(__name__)
Item = tuple[ChatEvent, Screened | None]


def from_settings() -> RemoteChecks:
    return RemoteChecks(
        base_url=settings.CHAT_CHECK_BASE_URL,
        api_key=settings.CHAT_CHECK_API_KEY,
        moderation_model=settings.CHAT_MODERATION_MODEL,
        guardrail_model=settings.CHAT_GUARDRAIL_MODEL,
        timeout=settings.CHAT_CHECK_TIMEOUT,
    )


def apply(items: list[Item], checks: RemoteChecks, *, moderation: bool, guardrail: bool) -> list[Item]:
    for enabled, kind in ((moderation, "moderation"), (guardrail, "guardrail")):
        if not enabled:
            continue
        open_ = [i for i, (_, s) in enumerate(items) if s is not None and s.verdict != DROPPED]
        texts = [items[i][1].text for i in open_]  # type: ignore[union-attr]
        try:
            verdicts = checks.moderate(texts) if kind == "moderation" else checks.guard(texts, topic())
        except CheckFailed as exc:
            log.warning("%s; holding %d questions for a moderator", exc, len(texts))
            verdicts = [f"{exc}: held for a moderator"] * len(texts)
            failed = True
        else:
            failed = False
        for i, verdict in zip(open_, verdicts, strict=True):
            if verdict:
                event, screened = items[i]
                outcome = DROPPED if kind == "moderation" and not failed else FLAGGED
                items[i] = (event, replace(screened, verdict=outcome, reason=verdict[:300]))  # type: ignore[arg-type]
    return items


def topic() -> str:
    persona = Persona.objects.active()
    if persona is None:
        return "an AI character answering viewers' questions"
    return f"{persona.name}, an AI character. {persona.system_prompt[:300]}"
