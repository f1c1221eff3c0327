"""No starvation: waiting questions gain priority for the time they wait."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from aijesus.chat.models import ChatSettings
from aijesus.studio.broadcast import broadcast_on_commit
from aijesus.studio.models import Question


def age_waiting_questions() -> int:
    """Add the waiting-time term to every waiting question's priority, for the time since the last
    pass (kept in the chat-settings row, so restarts and several readers never count twice)."""
    weight = settings.CHAT_WEIGHT_WAITING
    ChatSettings.load()
    with transaction.atomic():
        row = ChatSettings.objects.select_for_update().get(pk=ChatSettings.SINGLETON)
        now = timezone.now()
        aged = 0
        if row.aged_at is not None and weight > 0 and now > row.aged_at:
            gain = round(weight * (now - row.aged_at).total_seconds() / 60, 6)
            aged = Question.objects.filter(status=Question.Status.PENDING).update(
                priority=F("priority") + gain
            )
            if aged:
                broadcast_on_commit("queue")
        row.aged_at = now
        row.save(update_fields=["aged_at"])
    return aged
