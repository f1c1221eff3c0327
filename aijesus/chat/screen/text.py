"""Cleaning chat text for display and folding it for matching.

``clean`` is what a moderator sees and what is answered: NFKC, no control / zero-width / bidi
characters, no zalgo stacks, single spaces. ``fold`` is only for comparisons (banned words,
duplicates): lower case, accents and look-alike letters mapped to plain Latin.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Letters from other scripts that look like Latin ones: the usual way to slip a word past a filter.
# The two strings pair up character by character.
_LOOKALIKES = "авеёкмнорстухѕіїјԁɡոսαβεηικνορτυχѡԝđłıгпһӏԍɩƅʏɑԛьшø"
_LATIN = "abeekmhopctyxsiijdgnuabenikvoptuxwwdlirnhlgibyaqbwo"
_CONFUSABLES = str.maketrans(_LOOKALIKES, _LATIN) | str.maketrans({"ß": "ss", "æ": "ae", "œ": "oe"})
_SPACES = re.compile(r"\s+")
MAX_MARKS_PER_LETTER = 2  # beyond this a run of combining marks is zalgo, not a language


@dataclass(frozen=True, slots=True)
class Cleaned:
    text: str
    invisible: int = 0  # control, format (zero-width, bidi overrides), private-use, unassigned
    marks: int = 0  # combining marks stripped from zalgo stacks

    def notes(self) -> list[str]:
        found = []
        if self.invisible:
            found.append(
                f"{self.invisible} invisible/bidi character{'s' if self.invisible > 1 else ''} removed"
            )
        if self.marks:
            found.append(f"{self.marks} stacked combining mark{'s' if self.marks > 1 else ''} removed")
        return found


def clean(raw: str) -> Cleaned:
    text = unicodedata.normalize("NFKC", raw)
    if text.isascii() and text.isprintable():  # the common case: nothing to strip
        return Cleaned(" ".join(text.split()))
    out: list[str] = []
    invisible = marks = run = 0
    for ch in text:
        category = unicodedata.category(ch)
        if ch in "\t\n\r" or category in ("Zs", "Zl", "Zp"):
            out.append(" ")
            run = 0
        elif category[0] == "C":
            invisible += 1
        elif category in ("Mn", "Me"):
            run += 1
            if run > MAX_MARKS_PER_LETTER:
                marks += 1
            else:
                out.append(ch)
        else:
            run = 0
            out.append(ch)
    return Cleaned(_SPACES.sub(" ", "".join(out)).strip(), invisible, marks)


def fold(text: str) -> str:
    """Lower case, no accents, look-alikes mapped to Latin: "ÇAFÉ" and "cafe" fold the same."""
    text = text.casefold()
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in text if not unicodedata.combining(ch)).translate(_CONFUSABLES)
    return text


_WORD = re.compile(r"\w+")


def words(folded: str) -> list[str]:
    return _WORD.findall(folded)
