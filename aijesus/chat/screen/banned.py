"""The moderators' banned-word list, matched through the usual disguises.

One entry per line of the list: a word (matched as a whole word, with common endings: "-s",
"-ing", "-er"…), a phrase of several words, or a word ending in ``*`` to match it inside longer
words too ("fuck*" also finds "motherfucker"; whole-word matching keeps "class" clear of "ass").

Disguises seen through: case, accents and look-alike letters from other scripts (``text.fold``),
l33t digits and symbols ("sh1t", "$hit"), letters stretched ("shiiiit"), and letters spaced or
dotted apart ("s h i t", "s.h.i.t", "sh it").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import pairwise

from aijesus.chat.screen.text import fold

# Both the message and the list go through the same folding, so "l", "1", "!" and "|" (all
# read as "i") collide on purpose: a little more caution, never a miss.
_LEET = str.maketrans(
    {"0": "o", "1": "i", "!": "i", "|": "i", "l": "i", "3": "e", "4": "a", "@": "a", "5": "s", "$": "s",
     "7": "t", "+": "t", "8": "b", "9": "g", "6": "g", "2": "z", "(": "c", "<": "c", "€": "e", "¢": "c",
     "£": "e", "¥": "y", "§": "s", "\u00d7": "x", "%": "x"}
)  # fmt: skip
_ENDINGS = ("", "s", "es", "ed", "er", "ers", "ing", "in", "y", "z", "ez", "a", "as", "o")
SPACED = 3  # chunks this short may be the pieces of a word spaced apart
MAX_SPACED = 12  # pieces joined at most
_STRETCH = re.compile(r"(.)\1+")
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_PUNCT_EDGE = re.compile(r"^[^\w]+|[^\w]+$")
_EDGE = re.compile(r"^[\"'`(\[{«\u201c\u2018]+|[.,?!;:\"'`)\]}»\u201d\u2019…]+$")


def _squeeze(word: str, keep: int) -> str:
    return _STRETCH.sub(lambda m: m.group(1) * min(keep, len(m.group(0))), word)


def _key(chunk: str) -> str:
    """A chunk of text (between spaces) as the matcher compares it: folded, de-l33ted, letters only."""
    return _NOT_ALNUM.sub("", chunk.translate(_LEET))


@dataclass
class BannedWords:
    words: set[str] = field(default_factory=set)  # whole words, squeezed forms included
    forms: set[str] = field(default_factory=set)  # every word with every allowed ending
    infixes: list[str] = field(default_factory=list)
    phrases: list[str] = field(default_factory=list)
    entries: int = 0
    _seen: dict[str, bool] = field(default_factory=dict, repr=False)  # chunk → banned? (chat repeats itself)
    _keys: dict[str, str] = field(default_factory=dict, repr=False)  # chunk → its key

    @classmethod
    def parse(cls, listing: str) -> BannedWords:
        banned = cls()
        for line in listing.splitlines():
            entry = fold(line.strip())
            if not entry or entry.startswith("#"):
                continue
            banned.entries += 1
            if entry.endswith("*"):
                key = _key(entry.rstrip("*"))
                if len(key) >= 3:
                    banned.infixes.append(key)
            elif " " in entry:
                banned.phrases.append(" ".join(_key(part) for part in entry.split()))
            else:
                key = _key(entry)
                if key:
                    banned.words.add(key)
                    if len(_squeeze(key, 1)) >= 4:  # "shit" → "shit", but never "ass" → "as"
                        banned.words.add(_squeeze(key, 1))
        banned.forms = {word + ending for word in banned.words for ending in _ENDINGS}
        return banned

    def find(self, folded: str) -> str | None:
        """The disguised word that matched, as it was written, or None."""
        if not self.entries:
            return None
        if len(self._seen) > 200_000:  # chat repeats itself: results are kept per chunk
            self._seen.clear()
            self._keys.clear()
        chunks = folded.split()
        for chunk in chunks:
            if self._chunk_banned(chunk):
                return _EDGE.sub("", chunk) or chunk
        # A word split in two ("gro bnik"), then letters spaced apart ("s h i t", "s. h. i. t.").
        for first, second in pairwise(chunks):
            if self._joined_banned(self._key(first) + self._key(second)):
                return f"{first} {second}"
        start, count = 0, len(chunks)
        while start < count:
            if len(chunks[start]) > SPACED:
                start += 1
                continue
            end = start
            while end < count and len(chunks[end]) <= SPACED:
                end += 1
            if end - start >= 2:
                keys = [self._key(c) for c in chunks[start:end]]
                for i in range(len(keys)):
                    for j in range(i + 2, min(len(keys), i + MAX_SPACED) + 1):
                        if self._joined_banned("".join(keys[i:j])):
                            return " ".join(chunks[start + i : start + j])
            start = end
        return self._phrase(chunks)

    def _key(self, chunk: str) -> str:
        key = self._keys.get(chunk)
        if key is None:
            key = self._keys[chunk] = _key(_EDGE.sub("", chunk))
        return key

    def _chunk_banned(self, chunk: str) -> bool:
        hit = self._seen.get(chunk)
        if hit is None:
            # Edges tried three ways: as typed (l33t "!" for i), without quotes and brackets, and
            # without any punctuation ("@word", "|word|", "<word>").
            hit = self._seen[chunk] = (
                self._is_banned(_key(_EDGE.sub("", chunk)))
                or self._is_banned(_key(chunk))
                or self._is_banned(_key(_PUNCT_EDGE.sub("", chunk)))
            )
        return hit

    def _joined_banned(self, joined: str) -> bool:
        hit = self._seen.get(" " + joined)  # a space cannot occur in a chunk: no clash with those
        if hit is None:
            hit = self._seen[" " + joined] = self._is_banned(joined)
        return hit

    def _phrase(self, chunks: list[str]) -> str | None:
        if not self.phrases:
            return None
        line = f" {' '.join(k for k in map(self._key, chunks) if k)} "
        for phrase in self.phrases:
            if f" {phrase} " in line or f" {phrase}s " in line:
                return phrase
        return None

    def _is_banned(self, key: str) -> bool:
        if len(key) < 2:
            return False
        forms = self.forms
        if key in forms or _squeeze(key, 2) in forms or _squeeze(key, 1) in forms:
            return True
        return any(infix in key or infix in _squeeze(key, 1) for infix in self.infixes)
