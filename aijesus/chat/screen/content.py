"""Rules on the message itself: length, links, emoji-only and repeated-character spam."""

from __future__ import annotations

import re
from itertools import pairwise

# A scheme or www., a dotted name ending in a common TLD, or the "example dot com" dodge. Bible
# references ("John 3.16") and abbreviations ("e.g.") do not end in a TLD.
TLDS = frozenset(
    (  # noqa: SIM905 - a word list reads better as words
        "com net org io gg tv ly me co xyz ru de fr uk info biz app dev link site online shop live "
        "to be cc us ca eu click top vip win bet pw su tk ml ga cf gq art store club fun space "
        "website"
    ).split()
)
_DOTTED = re.compile(r"[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)+")
_DOT_WORD = re.compile(r"\b[a-z0-9-]{2,}\s*[(\[{]?\s*dot\s*[)\]}]?\s*([a-z]{2,})\b")
_CHAR_RUN = re.compile(r"(\S)\1{9,}")  # ten of the same character
_PATTERN_RUN = re.compile(r"(\S{2,6}?)\1{5,}")  # "lolololololol", "hahahahahaha"


def too_short(text: str, minimum: int) -> str | None:
    letters = sum(map(str.isalnum, text))
    if letters < minimum:
        return f"too short ({letters} letters or digits; at least {minimum})"
    return None


def too_long(text: str, maximum: int) -> str | None:
    if len(text) > maximum:
        return f"too long ({len(text)} characters; at most {maximum})"
    return None


def link(folded: str) -> str | None:
    if "://" in folded or "www." in folded or "discord.gg/" in folded or "t.me/" in folded:
        return "contains a link"
    if "." in folded:
        for name in _DOTTED.findall(folded):
            if name.rsplit(".", 1)[1] in TLDS:
                return f"contains a link ({name[:40]!r})"
    if "dot" in folded:
        for found in _DOT_WORD.finditer(folded):
            if found.group(1) in TLDS:
                return f"contains a link ({found.group(0)[:40]!r})"
    return None


def symbols_only(text: str) -> str | None:
    if not any(ch.isalpha() for ch in text):
        return "no words (emoji, digits or symbols only)"
    return None


def repetition(text: str, folded_words: list[str]) -> str | None:
    for chunk in text.split():
        if len(chunk) < 10:  # too short to hold either kind of run
            continue
        run = _CHAR_RUN.search(chunk)
        if run:
            return f"repeated-character spam ({run.group(1)!r} x {len(run.group(0))})"
        pattern = _PATTERN_RUN.search(chunk.casefold())
        if pattern:
            times = len(pattern.group(0)) // len(pattern.group(1))
            return f"repeated-pattern spam ({pattern.group(1)!r} x {times})"
    if len(folded_words) >= 4:
        streak = best = 1
        for before, word in pairwise(folded_words):
            streak = streak + 1 if word == before else 1
            best = max(best, streak)
        if best >= 4:
            return f"the same word {best} times in a row"
        if len(folded_words) >= 8 and len(set(folded_words)) / len(folded_words) < 0.3:
            return f"repeated-word spam ({len(set(folded_words))} different words out of {len(folded_words)})"
    squeezed = text.replace(" ", "")
    if len(squeezed) >= 20 and len(set(squeezed.casefold())) <= 3:
        return "repeated-character spam (three or fewer different characters)"
    return None
