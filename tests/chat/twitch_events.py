"""EventSub events as Twitch sends them, for the Twitch stand-in's notifications."""

from __future__ import annotations

import uuid
from typing import Any


def chat_event(
    channel: tuple[str, str],
    chatter: tuple[str, str],
    text: str,
    *,
    badges: tuple[str, ...] = (),
    bits: int = 0,
    reward_id: str | None = None,
    message_id: str | None = None,
) -> dict[str, Any]:
    """A ``channel.chat.message`` event as Twitch sends it."""
    return {
        "broadcaster_user_id": channel[0],
        "broadcaster_user_login": channel[1],
        "broadcaster_user_name": channel[1],
        "source_broadcaster_user_id": None,
        "source_broadcaster_user_login": None,
        "source_broadcaster_user_name": None,
        "chatter_user_id": chatter[0],
        "chatter_user_login": chatter[1],
        "chatter_user_name": chatter[1].capitalize(),
        "message_id": message_id or str(uuid.uuid4()),
        "source_message_id": None,
        "is_source_only": None,
        "message": {
            "text": text,
            "fragments": [{"type": "text", "text": text, "cheermote": None, "emote": None, "mention": None}],
        },
        "color": "#1E90FF",
        "badges": [{"set_id": b, "id": "1", "info": ""} for b in badges],
        "source_badges": None,
        "message_type": "text",
        "cheer": {"bits": bits} if bits else None,
        "reply": None,
        "channel_points_custom_reward_id": reward_id,
        "channel_points_animation_id": None,
    }


def gift_event(channel: tuple[str, str], user: tuple[str, str], total: int) -> dict[str, Any]:
    """A ``channel.subscription.gift`` event."""
    return {
        "user_id": user[0],
        "user_login": user[1],
        "user_name": user[1].capitalize(),
        "broadcaster_user_id": channel[0],
        "broadcaster_user_login": channel[1],
        "broadcaster_user_name": channel[1],
        "total": total,
        "tier": "1000",
        "cumulative_total": None,
        "is_anonymous": False,
    }
