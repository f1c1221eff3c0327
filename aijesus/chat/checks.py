"""The optional remote checks applied to a screened batch: moderation flags drop a question; the
guardrail's labels hold it for a moderator; an endpoint that fails holds the whole batch (a
question is never auto-approved unchecked)."""

from __future__ import annotations

import logging
from dataclasses import replace

from django.conf import settings

from aijesus.chat.message import ChatEvent, ChatMessage
from aijesus.chat.screen.automod import SCOPE, AutoMod, Budget, Gone, NotChecked
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


def automod_from_settings() -> AutoMod:
    from twitchio.http import Route

    budget = Budget(settings.CHAT_AUTOMOD_PER_MINUTE, settings.CHAT_AUTOMOD_PER_HOUR)
    return AutoMod(
        base=Route.BASE,
        client_id=settings.TWITCH_CLIENT_ID,
        timeout=settings.CHAT_CHECK_TIMEOUT,
        budget=budget,
    )


def apply_automod(items: list[Item], automod: AutoMod) -> list[Item]:
    """Twitch AutoMod's verdict on the questions still open: one it would hold is held for a
    moderator with Twitch's word; one it could not judge is held as "not checked", never lost.
    Where Twitch no longer serves the check, the step turns itself off and says so once."""
    # A message Twitch already holds has AutoMod's verdict: asking again would spend the budget.
    open_ = [
        i
        for i, (e, s) in enumerate(items)
        if s is not None and s.verdict != DROPPED and not (isinstance(e, ChatMessage) and e.held is not None)
    ]
    if not open_:
        return items
    ids = {
        i: (items[i][0].message_id if isinstance(items[i][0], ChatMessage) else "") or f"q{i}" for i in open_
    }
    try:
        broadcaster_id, token = owner_token(SCOPE)
        permitted = automod.check(broadcaster_id, token, [(ids[i], items[i][1].text) for i in open_])  # type: ignore[union-attr]
    except Gone as exc:
        _turn_off(str(exc))
        return items
    except NotChecked as exc:
        log.warning("Twitch AutoMod: %s; holding %d questions for a moderator", exc, len(open_))
        reasons = {i: f"Twitch AutoMod: not checked ({exc})" for i in open_}
    else:
        reasons = {i: "Twitch AutoMod would hold this message" for i in open_ if not permitted[ids[i]]}
    for i, reason in reasons.items():
        event, screened = items[i]
        items[i] = (event, replace(screened, verdict=FLAGGED, reason=reason[:300]))  # type: ignore[arg-type]
    return items


def owner_token(scope: str) -> tuple[str, str]:
    """(user id, access token) of the channel owner's account, which must hold `scope`."""
    from aijesus.chat.crypto import Unreadable
    from aijesus.chat.models import TwitchAccount

    owner = TwitchAccount.objects.filter(login__iexact=settings.TWITCH_CHANNEL).first()
    if owner is None:
        raise NotChecked("the channel owner's Twitch account is not connected")
    if scope not in owner.scope_list:
        raise NotChecked(f"the channel owner's token lacks {scope}: connect Twitch again as the owner")
    try:
        access, _ = owner.tokens()
    except Unreadable:
        raise NotChecked("the channel owner's token cannot be read (TOKEN_ENCRYPTION_KEY changed?)") from None
    return owner.user_id, access


def _turn_off(reason: str) -> None:
    from aijesus.chat.models import ChatSettings

    log.warning("Twitch AutoMod turned off: %s", reason)
    ChatSettings.objects.filter(pk=ChatSettings.SINGLETON).update(
        automod_check=False, automod_status=reason[:300]
    )
