"""The chat settings row and Django settings, turned into the plain objects the prescreen and the
batch decisions use. Rebuilt only when a moderator saves the settings page."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from aijesus.chat.decide import Policy
from aijesus.chat.models import ChatSettings
from aijesus.chat.priority import Weights
from aijesus.chat.screen.banned import BannedWords
from aijesus.chat.screen.prescreen import Rules


@dataclass(frozen=True)
class ChatConfig:
    mode: str
    rules: Rules
    policy: Policy
    cooldown: float
    moderation: bool
    guardrail: bool
    replies: bool
    automod: bool = False
    automod_holds: bool = False

    @property
    def auto_approve(self) -> bool:
        return self.mode == ChatSettings.Mode.AUTO


def weights() -> Weights:
    return Weights(
        base=settings.CHAT_WEIGHT_BASE,
        bits_per_100=settings.CHAT_WEIGHT_BITS,
        bits_max=settings.CHAT_WEIGHT_BITS_MAX,
        subscriber=settings.CHAT_WEIGHT_SUBSCRIBER,
        gift_per_sub=settings.CHAT_WEIGHT_GIFT,
        vip=settings.CHAT_WEIGHT_VIP,
        moderator=settings.CHAT_WEIGHT_MODERATOR,
        redemption=settings.CHAT_WEIGHT_REDEMPTION,
        waiting_per_minute=settings.CHAT_WEIGHT_WAITING,
        duplicate=settings.CHAT_WEIGHT_DUPLICATE,
    )


def build(row: ChatSettings, ignore_viewers: frozenset[str] = frozenset()) -> ChatConfig:
    rules = Rules(
        min_chars=row.min_chars,
        max_chars=row.effective_max_chars(),
        drop_links=row.drop_links,
        banned=BannedWords.parse(row.banned_words),
        injection=row.injection,
    )
    policy = Policy(
        require_prefix=row.require_prefix,
        prefix=row.command_prefix.strip(),
        pending_cap=row.pending_cap,
        weights=weights(),
        ignore_viewers=ignore_viewers,
    )
    return ChatConfig(
        mode=row.mode,
        rules=rules,
        policy=policy,
        cooldown=float(row.cooldown_seconds),
        moderation=row.moderation_check,
        guardrail=row.guardrail_check,
        replies=row.replies,
        automod=row.automod_check,
        automod_holds=row.automod_holds,
    )


# What the config is built from: a change to any of them (dashboard, admin, shell) rebuilds it.
FIELDS = (
    "mode", "require_prefix", "command_prefix", "banned_words", "cooldown_seconds", "pending_cap",
    "min_chars", "max_chars", "drop_links", "injection", "moderation_check", "guardrail_check", "replies",
    "automod_check", "automod_holds",
)  # fmt: skip


class ConfigCache:
    """One cheap read per batch; the banned-word matcher is compiled again only after a save."""

    def __init__(self, ignore_viewers: frozenset[str] = frozenset()) -> None:
        self.ignore_viewers = ignore_viewers
        self._stamp: object = None
        self._config: ChatConfig | None = None

    def current(self) -> ChatConfig:
        row = ChatSettings.load()
        stamp = (*(getattr(row, name) for name in FIELDS), self.ignore_viewers)
        if self._config is None or stamp != self._stamp:
            self._config, self._stamp = build(row, self.ignore_viewers), stamp
        return self._config
