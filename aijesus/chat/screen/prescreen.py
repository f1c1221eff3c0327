"""The per-message prescreen: every rule in order, the first that fails decides.

Cleaning always happens (NFKC; control, zero-width and bidi characters out; zalgo stacks cut)
and is noted in the reason. Then: length, symbols only, too short, repeated-character spam, links, banned
words, prompt injection. A failed rule drops the message; prompt injection flags it for a
moderator instead, unless the moderators chose to drop it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from aijesus.chat.screen import banned as banned_words
from aijesus.chat.screen import content, injection
from aijesus.chat.screen.duplicates import Signature
from aijesus.chat.screen.text import clean, fold, words

PASSED, FLAGGED, DROPPED, MERGED = "passed", "flagged", "dropped", "merged"
# Raw text this long is not even cleaned: Twitch caps chat at 500 characters, so only a replay
# file or an attack sends more, and the row keeps what it needs to show why.
RAW_LIMIT = 20_000


@dataclass(frozen=True)
class Rules:
    min_chars: int = 5
    max_chars: int = 500
    drop_links: bool = True
    banned: banned_words.BannedWords = field(default_factory=banned_words.BannedWords)
    injection: Literal["flag", "drop"] = "flag"


@dataclass(frozen=True, slots=True)
class Screened:
    text: str  # cleaned: what is stored and answered
    verdict: str  # passed | flagged | dropped
    reason: str
    signature: Signature


def screen(raw: str, rules: Rules) -> Screened:
    if len(raw) > RAW_LIMIT:
        reason = f"too long ({len(raw)} characters; at most {rules.max_chars})"
        return Screened(
            clean(raw[: rules.max_chars]).text + " […]", DROPPED, reason, Signature("", frozenset())
        )
    cleaned = clean(raw)
    text = cleaned.text
    folded = fold(text)
    folded_words = words(folded)
    signature = Signature.of(folded_words)
    notes = "; ".join(cleaned.notes())

    def result(verdict: str, reason: str) -> Screened:
        return Screened(text, verdict, f"{reason}; {notes}" if notes else reason, signature)

    failure = (
        content.too_long(text, rules.max_chars)
        or content.symbols_only(text)
        or content.too_short(text, rules.min_chars)
        or content.repetition(text, folded_words)
        or (content.link(folded) if rules.drop_links else None)
    )
    if failure:
        return result(DROPPED, failure)
    word = rules.banned.find(folded)
    if word:
        return result(DROPPED, f"banned word ({_mask(word)})")
    attempt = injection.find(folded, folded_words)
    if attempt:
        verdict = DROPPED if rules.injection == "drop" else FLAGGED
        return result(verdict, f"possible prompt injection: {attempt}")
    return result(PASSED, "passed: length, symbols, repetition, links, banned words, injection")


def strip_prefix(text: str, prefix: str) -> str | None:
    """The text after a command prefix ("!ask what is…" → "what is…"), or None without it."""
    stripped = text.lstrip()
    if not prefix:
        return stripped
    if stripped[: len(prefix)].casefold() != prefix.casefold():
        return None
    rest = stripped[len(prefix) :]
    if rest and not rest[0].isspace() and prefix[-1].isalnum():
        return None  # "!asking" is not "!ask"
    return rest.strip()


def _mask(word: str) -> str:
    """Enough of the matched word for a moderator to recognise it, not a copy to spread."""
    word = word.strip()
    return word if len(word) <= 2 else word[0] + "*" * (len(word) - 2) + word[-1]
