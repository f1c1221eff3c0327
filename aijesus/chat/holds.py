"""Messages Twitch's AutoMod held, in our queue, and resolved in one place for both sides.

- A held message that is a question becomes a waiting question flagged "held by Twitch AutoMod"
  (never auto-approved) with an `AutoModHold` row carrying Twitch's category and level.
- A moderator's approve or reject here is sent to Twitch as ALLOW or DENY by the chat reader
  (`send_decisions`, about once a second, on a thread of its own): the row is the outbox, so a
  decision made while Twitch or the reader is down is sent once both are back, for as long as
  Twitch keeps a hold (HOLD_PATIENCE). Questions our system dropped (queue cap) are not a
  moderator's decision and are left to Twitch's own moderators.
- A hold resolved on Twitch (by anyone) moves our row: allowed → the question stays in the queue
  as an ordinary one; denied or expired → the question leaves the queue, with the reason.
- When Twitch allows a message, it arrives in chat again with the same id: not a second question.

Every decision that reaches Twitch, and every resolution from Twitch, is in the moderator log.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from aijesus.chat.decide import Decided
from aijesus.chat.message import ChatEvent, ChatMessage, HoldResolved
from aijesus.chat.models import AutoModHold
from aijesus.chat.screen.automod import MANAGE_SCOPE, AutoMod, NotChecked, NotResolved
from aijesus.chat.screen.prescreen import DROPPED, FLAGGED, Screened
from aijesus.studio.broadcast import broadcast_on_commit
from aijesus.studio.models import ModeratorAction, Question

log = logging.getLogger(__name__)
Item = tuple[ChatEvent, Screened | None]
S = Question.Status
ALLOWED = frozenset({S.APPROVED, S.BUILDING, S.READY, S.AIRED, S.FAILED})  # a moderator approved it
HOLD_PATIENCE = timedelta(minutes=10)  # past this Twitch has let the hold expire: stop trying
MAX_ATTEMPTS = 100  # a row at this count is never tried again (set at once for a final refusal)
MAX_BACKOFF_SECONDS = 60
SEND_BATCH = 20


def flag_held(items: list[Item]) -> list[Item]:
    """A held question waits for a moderator with Twitch's word, whatever our prescreen said
    (unless our prescreen drops it: then Twitch's own moderators decide on their own)."""
    for i, (event, screened) in enumerate(items):
        if not isinstance(event, ChatMessage) or event.held is None or screened is None:
            continue
        if screened.verdict == DROPPED:
            continue
        ours = screened.reason if screened.verdict == FLAGGED else ""
        reason = "; ".join(filter(None, [event.held.describe(), ours]))
        items[i] = (event, replace(screened, verdict=FLAGGED, reason=reason[:300]))
    return items


def known(message_ids: list[str]) -> set[str]:
    """Ids of held messages we already have: Twitch delivers an allowed one to chat again."""
    ids = [m for m in message_ids if m]
    if not ids:
        return set()
    return set(AutoModHold.objects.filter(message_id__in=ids).values_list("message_id", flat=True))


def record(accepted: list[tuple[Decided, Question]]) -> int:
    """The hold rows of the held questions just written (inside the batch's transaction)."""
    rows = [
        AutoModHold(
            question=question,
            message_id=decided.message.message_id,
            reason=decided.message.held.reason[:20],
            category=decided.message.held.category[:60],
            level=max(0, min(decided.message.held.level, 4)),
        )
        for decided, question in accepted
        if decided.message.held is not None and decided.message.message_id
    ]
    AutoModHold.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def apply_resolutions(events: list[HoldResolved]) -> int:
    """Twitch's word on held messages (inside the batch's transaction). A hold already resolved
    here (our own ALLOW/DENY coming back, or a repeat) changes nothing."""
    changed = 0
    for event in events:
        hold = (
            AutoModHold.objects.select_for_update()
            .select_related("question")
            .filter(message_id=event.message_id, state=AutoModHold.State.HELD)
            .first()
        )
        if hold is None or event.status not in AutoModHold.State.values:
            continue
        who = event.moderator or "Twitch"
        hold.state = event.status
        hold.resolved_by = (f"{who} on Twitch" if event.status in ("approved", "denied") else "Twitch")[:100]
        hold.resolved_at = timezone.now()
        hold.save(update_fields=["state", "resolved_by", "resolved_at"])
        _follow(hold, event.status, who)
        changed += 1
    if changed:
        broadcast_on_commit("queue")
    return changed


def _follow(hold: AutoModHold, status: str, who: str) -> None:
    question = hold.question
    waiting = question.status == S.PENDING
    if status == "approved":
        detail = f"allowed into chat on Twitch by {who}" + ("; waits in the queue" if waiting else "")
    else:
        detail = {
            "denied": f"denied on Twitch by {who}",
            "expired": "the hold expired on Twitch before anyone allowed it",
            "invalid": "Twitch says the hold is no longer valid",
        }[status]
        if waiting:
            question.reject(by=None, reason=detail)
        else:
            detail += f" (the question was already {question.status} here)"
    ModeratorAction.record("automod", by=None, question=question, detail=f"Twitch AutoMod: {detail}")


def _due() -> QuerySet[AutoModHold]:
    return AutoModHold.objects.filter(
        state=AutoModHold.State.HELD,
        question__status__in=[*ALLOWED, S.REJECTED],
        attempts__lt=MAX_ATTEMPTS,
    ).exclude(next_attempt_at__gt=timezone.now())


def waiting_decisions() -> bool:
    """Is a moderator's decision on a held question waiting to be sent? (one indexed query)"""
    return _due().exists()


def send_decisions(automod: AutoMod, owner_token: tuple[str, str] | NotChecked) -> int:
    """Send our moderators' decisions on held questions to Twitch; returns how many Twitch took.
    `owner_token`: (user id, access token) of the channel owner, or why there is none."""
    due = list(_due().select_related("question", "question__moderated_by")[:SEND_BATCH])
    sent = 0
    for hold in due:
        allow = hold.question.status in ALLOWED
        try:
            if timezone.now() - hold.held_at > HOLD_PATIENCE:
                minutes = HOLD_PATIENCE.total_seconds() / 60
                raise NotResolved(
                    f"held more than {minutes:g} minutes ago: Twitch has let it expire", final=True
                )
            if isinstance(owner_token, NotChecked):
                raise NotResolved(str(owner_token), final=False)
            automod.resolve(owner_token[0], owner_token[1], hold.message_id, allow=allow)
        except NotResolved as exc:
            _failed(hold, "ALLOW" if allow else "DENY", exc)
            if not exc.final:
                break  # Twitch (or the token) is not there: the others wait for the next round
        else:
            _sent(hold, allow)
            sent += 1
    return sent


def _sent(hold: AutoModHold, allow: bool) -> None:
    question = hold.question
    who = question.moderated_by.get_username() if question.moderated_by else "a moderator"
    action = "ALLOW" if allow else "DENY"
    with transaction.atomic():
        updated = AutoModHold.objects.filter(pk=hold.pk, state=AutoModHold.State.HELD).update(
            state=AutoModHold.State.APPROVED if allow else AutoModHold.State.DENIED,
            resolved_by=f"{who} in the studio"[:100],
            resolved_at=timezone.now(),
            attempts=hold.attempts + 1,
            twitch_note=f"{action} taken by Twitch",
        )
        if updated:
            ModeratorAction.record(
                "automod",
                by=question.moderated_by,
                question=question,
                detail=f"Twitch AutoMod: {action} sent, Twitch took it",
            )
            broadcast_on_commit("queue")
    log.info("held message of question %s: %s taken by Twitch", question.pk, action)


def _failed(hold: AutoModHold, action: str, exc: NotResolved) -> None:
    attempts = MAX_ATTEMPTS if exc.final else hold.attempts + 1
    giving_up = attempts >= MAX_ATTEMPTS
    note = f"{action} not taken by Twitch: {exc}" + ("" if giving_up else "; trying again")
    with transaction.atomic():
        AutoModHold.objects.filter(pk=hold.pk).update(
            attempts=attempts,
            next_attempt_at=timezone.now() + timedelta(seconds=min(2**attempts, MAX_BACKOFF_SECONDS)),
            twitch_note=note[:300],
        )
        if giving_up:
            ModeratorAction.record(
                "automod", by=None, question=hold.question, detail=f"Twitch AutoMod: {note}"[:1000]
            )
        broadcast_on_commit("queue")
    log.warning("held message of question %s: %s", hold.question_id, note)


__all__ = [
    "MANAGE_SCOPE",
    "apply_resolutions",
    "flag_held",
    "known",
    "record",
    "send_decisions",
    "waiting_decisions",
]
