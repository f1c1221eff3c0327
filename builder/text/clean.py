"""Text made safe and natural to speak: what an LLM wrote or a viewer typed, as a voice should say it.

`clean_for_speech` removes what a voice cannot or must not say (markup, URLs, emoji, invisible and
direction-changing characters, control codes), normalises punctuation, spells out numbers, dates and
abbreviations in English or French, and caps the length at a sentence or word boundary. Text in other
languages is cleaned the same way but its numbers and abbreviations are left to the speech engine.

It is plain string work with linear regular expressions: deterministic, no Django, and it never raises
on a str, however hostile.
"""

from __future__ import annotations

import html
import re
import unicodedata

from builder.text.abbreviations import expand_abbreviations
from builder.text.markup import strip_markup
from builder.text.numbers import expand_numbers
from builder.text.spell import base_language

# Beyond this many characters per character of output, the rest of a message cannot be reached.
_RAW_FACTOR = 16

_SPACES = re.compile(r"[\t\x0b\x0c]")
_NEWLINES = re.compile(r"\r\n?|[\x1c-\x1e\x85\u2028\u2029]")
_KEYCAP = re.compile(r"[0-9#*]\ufe0f?\u20e3")
# Invisible, control, bidi, private-use and unpaired-surrogate characters: none is ever spoken, and
# the bidi ones (U+202A-202E, U+2066-2069) can hide or reorder what a moderator sees.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0e-\x1f\x7f-\x9f\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f"
    "\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufffd"
    "\ud800-\udfff\ue000-\uf8ff\U000e0000-\U000e0fff\U000f0000-\U0010ffff]"
)
# Emoji and pictographs, taken out before NFKC would turn "™" into "TM" and U+2139 into "i".
_PICTOGRAPHS = re.compile(
    "[\u00a9\u00ae\u2122\u2139\u20e3\u2190-\u21ff\u2200-\u23ff\u2500-\u27bf\u27f0-\u27ff\u2800-\u297f"
    "\u2b00-\u2bff\u3030\u303d\u3297\u3299\U0001f000-\U0001fbff]"
)
_QUOTES = str.maketrans(
    dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u00b4", "'") | dict.fromkeys("“”„‟″«»", '"')
)
_MARK = "[\u0300-\u036f\u0483-\u0489\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]"
# After NFKC composed every accent a Latin letter can carry, what is left is decoration ("Zalgo"
# text stacks dozens of marks on each letter).
_MARKS = re.compile(f"{_MARK}+")

# Spaces are single and lines joined by the time these run: " ?" where "\s*" would backtrack
# quadratically over a flood of blanks.
_NUMBER_DASH = re.compile(r"(?<=\d) ?[\u2012\u2013\u2014\u2212] ?(?=\d)")
_CLAUSE_DASH = re.compile(r" ?[—―] ?| [-\u2012\u2013] | ?-{2,} ?")
_MARKUP_SYMBOLS = r"\\^=~{}\[\]<>*_@|"
# Signs the number pass reads ("5 %", "$5") are left to the speech engine where it does not run.
_SYMBOLS = {True: re.compile(rf"[{_MARKUP_SYMBOLS}$€£%°#+/]"), False: re.compile(f"[{_MARKUP_SYMBOLS}]")}
_LETTER_RUN = re.compile(r"([^\W\d_])\1{3,}")
_SPACE_RUN = re.compile(r"[ \t]+")
_SPACE_BEFORE = re.compile(r" ([,.!?;:)])")
_OPEN_PAREN = re.compile(r"\( ")
_EMPTY_PARENS = re.compile(r"\( ?\)")
_WEAK_BEFORE_STRONG = re.compile(r"(?<![,;:])[,;:]+(?=[.!?])")
_PUNCT_RUNS = ((re.compile(r"([,;:])[,;:]+"), r"\1"), (re.compile(r"([!?])[!?]+"), r"\1"),
               (re.compile(r"\.{4,}"), "..."), (re.compile(r"(?<!\.)\.\.(?!\.)"), "."))  # fmt: skip
_SPACE_AFTER = re.compile(r"([,;:!?])(?=[^\W\d_])")
_LEADING_JUNK = re.compile(r"^[ ,.;:!?)-]+")
_LINE_END = re.compile(r"[.!?:;,]['\")]*$")
_SENTENCE_END = re.compile(r"[.!?]['\")]*(?=\s)")


def clean_for_speech(text: str, language: str = "en", max_chars: int = 1200) -> str:
    """`text` as a voice should say it, at most `max_chars` long; "" when nothing is left to say."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    if max_chars <= 0 or not text:
        return ""
    text = text[: max_chars * _RAW_FACTOR]
    if "&" in text:
        text = html.unescape(text)  # before scrubbing: "&#8238;" is a bidi override too
    text = _scrub_characters(text)
    text = strip_markup(text)
    text = _join_lines(text)
    text = _CLAUSE_DASH.sub(", ", _NUMBER_DASH.sub("-", text)).replace("\u2212", "-")
    text = _cut(text, max_chars + 100)  # spelling only lengthens: no need to spell what is cut
    lang = base_language(language)
    if lang:
        text = expand_abbreviations(text, lang)
        text = expand_numbers(text, lang)
    text = _tidy(text, spelled=lang is not None)
    return _cap(text, max_chars)


def _scrub_characters(text: str) -> str:
    text = _NEWLINES.sub("\n", _SPACES.sub(" ", text))
    text = _KEYCAP.sub("", text)
    text = _INVISIBLE.sub("", text)
    text = _PICTOGRAPHS.sub(" ", text)
    # NFKC folds look-alikes (full-width and mathematical letters, ligatures, no-break spaces) into
    # the plain characters a speech engine knows, and composes accents so stray marks can be dropped.
    text = unicodedata.normalize("NFKC", text.translate(_QUOTES))
    text = _MARKS.sub("", text)
    return _SPACE_RUN.sub(" ", text)


def _join_lines(text: str) -> str:
    """Lines become sentences: a header or list item without a full stop still ends where it ended."""
    lines = [line.strip() for line in text.split("\n")]
    lines = [line for line in lines if line]
    for i in range(len(lines) - 1):
        if not _LINE_END.search(lines[i]):
            lines[i] += "."
    return _SPACE_RUN.sub(" ", " ".join(lines))


def _tidy(text: str, spelled: bool) -> str:
    text = _SYMBOLS[spelled].sub(" ", text)
    text = _LETTER_RUN.sub(r"\1\1\1", text)
    text = _SPACE_RUN.sub(" ", text)
    text = _EMPTY_PARENS.sub("", _OPEN_PAREN.sub("(", text))
    text = _SPACE_BEFORE.sub(r"\1", text)
    text = _WEAK_BEFORE_STRONG.sub("", text)
    for pattern, repl in _PUNCT_RUNS:
        text = pattern.sub(repl, text)
    text = _SPACE_AFTER.sub(r"\1 ", text)
    return _LEADING_JUNK.sub("", text).strip().rstrip(",;:-").rstrip()


def _cut(text: str, limit: int) -> str:
    """At most `limit` characters, ending at a word boundary; "" if the first word alone is longer."""
    if len(text) <= limit:
        return text
    space = text.rfind(" ", 0, limit + 1)
    return text[:space].rstrip() if space > 0 else ""


def _cap(text: str, max_chars: int) -> str:
    """Cut at the last sentence end that keeps at least half the room, else at the last word."""
    if len(text) <= max_chars:
        return text
    end = None
    for m in _SENTENCE_END.finditer(text, 0, max_chars + 1):
        end = m.end()
    if end is not None and end >= max_chars // 2:
        return text[:end]
    return _cut(text, max_chars).rstrip(" ,;:-")
