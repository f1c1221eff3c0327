"""An answer streamed by the LLM, cut into pieces a voice can start speaking at once.

The first piece comes as early as possible: at the first sentence end, or at a comma, semicolon or
colon once `first_min_chars` are buffered. Later pieces are whole sentences, and a sentence longer than
`max_chars` is cut at a comma or between words. A line break always ends a piece (list items, headers).

A full stop is not a sentence end after an abbreviation ("Dr. Smith", "M. Dupont", "e.g. this"), an
initial ("J. R. R. Tolkien"), a list number at the start of a line, or when the next word starts in
lower case ("Wait... what?"). Punctuation not followed by a space never ends anything, which keeps
"3.14", "1,000", "John 3:16", "Matthew 5.9" and URLs whole.

Every decision looks at most at the next word's first letter, and is taken only once that letter has
arrived, so the pieces are the same however the stream was split into deltas.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

_CANDIDATE = re.compile(r"(?P<end>[.!?…]+)(?:\s?»|[\"'\u201d\u2019)\]])*|(?P<clause>[,;:])|(?P<nl>\n)")
_WHITESPACE = re.compile(r"\s+")
_CLAUSE_END = re.compile(r"[,;:](?=\s)")
_OPENERS = "\"'\u201c\u2018«([ \n"
_LOOKAHEAD = 8
_LEADING_PUNCT = "\"'\u201c\u2018«(["
_DOTTED = re.compile(r"(?:[^\W\d_]\.-?)+[^\W\d_]")  # "e.g", "U.S", "J.-C"
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof st sr jr mt vs e.g i.e cf approx fig vol ch chap pp ex "  # noqa: SIM905
    "m mm mme mmes mlle mlles pr ste av apr env".split()
)
# Abbreviations that are also plain words ("No.", "Gen."): only before a number ("No. 5", "Gen. 1:1").
_BEFORE_NUMBER = frozenset(
    "no nos art gen exo lev num deut ps prov eccl isa jer ezek dan hos matt mk lk jn rom cor gal eph "  # noqa: SIM905
    "phil col thess tim heb jas pet rev".split()
)


class SentenceChunker:
    """Feed deltas in, take speakable chunks out; `flush` at the end of the stream.

    Chunks are stripped and never empty. After `flush` the chunker is ready for a new stream.
    """

    def __init__(self, first_min_chars: int = 40, max_chars: int = 250) -> None:
        self.first_min_chars = first_min_chars
        self.max_chars = max(max_chars, 2)
        self._reset()

    def _reset(self) -> None:
        self._buf = ""
        self._scan = 0  # candidates before this index are decided: not boundaries
        self._first = True

    def feed(self, delta: str) -> list[str]:
        if not delta:
            return []
        # One whitespace character per run (a newline if the run had one) keeps every look-ahead short.
        delta = _WHITESPACE.sub(_one_space, delta)
        if not self._buf:
            delta = delta.lstrip()
        elif self._buf[-1].isspace() and delta[0].isspace():
            self._buf = self._buf[:-1] + ("\n" if "\n" in (self._buf[-1], delta[0]) else " ")
            self._scan = min(self._scan, len(self._buf) - 1)  # the space may have become a line break
            delta = delta[1:]
        self._buf += delta
        return self._drain(final=False)

    def flush(self) -> list[str]:
        chunks = self._drain(final=True)
        rest = self._buf.strip()
        if rest:
            chunks.append(rest)
        self._reset()
        return chunks

    def _drain(self, final: bool) -> list[str]:
        chunks = []
        while (cut := self._next_cut(final)) is not None:
            chunk, self._buf, self._scan = self._buf[:cut].strip(), self._buf[cut:].lstrip(), 0
            if chunk:
                chunks.append(chunk)
                self._first = False
        return chunks

    def _next_cut(self, final: bool) -> int | None:
        buf = self._buf
        for m in _CANDIDATE.finditer(buf, self._scan):
            if m.end() > self.max_chars:
                break
            verdict = self._is_boundary(m, final)
            if verdict is None:
                self._scan = m.start()
                return None
            if verdict:
                return m.end()
            self._scan = m.end()
        else:
            self._scan = max(self._scan, len(buf))
        return self._long_cut(final) if len(buf) > self.max_chars else None

    def _is_boundary(self, m: re.Match[str], final: bool) -> bool | None:
        """True or False once the text decides it; None while the next word has not arrived."""
        if m["nl"]:
            return True
        buf, end = self._buf, m.end()
        if m["clause"] and (not self._first or end < self.first_min_chars):
            return False
        if end == len(buf):
            return True if final else None
        if not buf[end].isspace():
            return False
        nxt = _next_letter(buf, end)
        if nxt is None:
            return True if final else None
        if m["clause"]:
            return not (buf[m.start() - 1 : m.start()].isdigit() and nxt.isdigit())  # "May 5, 2024"
        if nxt.islower():
            return False
        return m["end"] != "." or not self._is_abbreviation(m.start(), nxt)

    def _is_abbreviation(self, dot: int, nxt: str) -> bool:
        buf = self._buf
        start = max(buf.rfind(" ", 0, dot), buf.rfind("\n", 0, dot)) + 1
        word = buf[start:dot].lstrip(_LEADING_PUNCT)
        lower = word.lower()
        if len(word) == 1 and word.isalpha():
            return True  # an initial
        if lower in _ABBREVIATIONS or _DOTTED.fullmatch(word):
            return True
        if lower in _BEFORE_NUMBER and nxt.isdigit():
            return True
        # "1. Love" at the start of a line is a list number, not a sentence.
        return word.isdigit() and len(word) <= 3 and (start == 0 or buf[start - 1] == "\n")

    def _long_cut(self, final: bool) -> int | None:
        """Where to cut a sentence longer than max_chars: its last comma (if the piece is not tiny),
        else its last space, else after the one word that fills it."""
        buf, limit = self._buf, self.max_chars
        window = buf[: limit + 1]
        commas = [m.end() for m in _CLAUSE_END.finditer(window)]
        if commas and commas[-1] >= limit // 3:
            return commas[-1]
        space = max(window.rfind(" "), window.rfind("\n"))
        if space > 0:
            return space
        after = _WHITESPACE.search(buf)
        if after:
            return after.start()
        return len(buf) if final else None


def _next_letter(buf: str, start: int) -> str | None:
    """The first character after `start` that is not a space or an opening quote or bracket (looking
    a few characters ahead at most, so a flood of brackets cannot make this slow)."""
    for i in range(start, min(len(buf), start + _LOOKAHEAD)):
        if buf[i] not in _OPENERS:
            return buf[i]
    return buf[start + _LOOKAHEAD - 1] if len(buf) >= start + _LOOKAHEAD else None


def _one_space(m: re.Match[str]) -> str:
    return "\n" if "\n" in m[0] or "\r" in m[0] else " "


def speakable_chunks(deltas: Iterable[str], first_min_chars: int = 40, max_chars: int = 250) -> Iterator[str]:
    """Chunks of a streamed answer as soon as each is known, then what is left at the end."""
    chunker = SentenceChunker(first_min_chars=first_min_chars, max_chars=max_chars)
    for delta in deltas:
        yield from chunker.feed(delta)
    yield from chunker.flush()
