"""The last check before an answer is spoken: no banned word or phrase goes on air.

Matching is on whole words, ignoring case and accents, so "Pécheur" matches "pecheur" but "ass"
does not match "class". An entry ending in "*" matches any word it begins ("damn*" catches
"damned"). The persona's own list (one entry a line, edited in the dashboard) is checked along
with `GLOBAL_BANNED`, which the owner of a deployment extends; it ships nearly empty on purpose:
which words a channel bans is that channel's decision, and a long list in code helps nobody.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass

from builder.llm.retrieval import fold

# Phrases that mean the model stepped out of character or repeated its instructions.
GLOBAL_BANNED: tuple[str, ...] = (
    "as an ai language model",
    "my system prompt",
    "studio rules",
)


@dataclass(frozen=True)
class FilterVerdict:
    allowed: bool
    reason: str = ""


def check_answer(
    text: str, banned_words: Iterable[str] = (), *, global_banned: Iterable[str] = GLOBAL_BANNED
) -> FilterVerdict:
    """Allowed, or not with a reason naming the entry that matched and which list it is on."""
    spoken = f" {_normalise(text)} "
    for entries, source in (
        (tuple(banned_words), "the persona's banned words"),
        (tuple(global_banned), "the studio's banned words"),
    ):
        for entry, pattern, prefix in _compile(entries):
            # Padding with spaces turns "whole words" into a substring test on word boundaries.
            needle = f" {pattern}" if prefix else f" {pattern} "
            if needle in spoken:
                return FilterVerdict(False, f'the answer contains "{entry}" ({source})')
    return FilterVerdict(True)


def _normalise(text: str) -> str:
    # Every run of non-word characters becomes one space: punctuation and line breaks cannot hide
    # a phrase ("as an AI-language\\nmodel" still matches "as an ai language model").
    folded = fold(text)
    return " ".join("".join(c if c.isalnum() else " " for c in folded).split())


@functools.lru_cache(maxsize=64)
def _compile(entries: tuple[str, ...]) -> tuple[tuple[str, str, bool], ...]:
    """(entry as written, normalised pattern, is a prefix) for each usable entry; cached because
    the same list is checked against every sentence of every answer."""
    compiled = []
    for raw in entries:
        entry = raw.strip()
        prefix = entry.endswith("*")
        pattern = _normalise(entry.rstrip("*"))
        if pattern:
            compiled.append((entry, pattern, prefix))
    return tuple(compiled)
