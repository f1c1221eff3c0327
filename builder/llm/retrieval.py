"""Words in, ranked passages out: the tokeniser and a small BM25 index for the offline engine.

Hand-written on purpose: the corpora are a few thousand short passages, so a dictionary of
postings scored with numpy answers in well under a millisecond and needs no search dependency.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

_WORD = re.compile(r"[a-z0-9]+")

# Function words in modern and King James English, plus a few French ones so a French question's
# grammar does not pull in English verses that happen to share a short word.
_STOPWORD_TEXT = """
    a about after again all also am an and any are as at be because been before being but by can
    could did do does doing down for from had has have having he her here hers him his how i if in
    into is it its just me more most my no nor not now of off on once only or other our ours out over
    own same she should so some such than that the their theirs them then there these they this those
    through to too under until up very was we were what when where which while who whom why will with
    would you your yours yourself
    thee thou thy thine ye unto hath doth dost hast shalt shall art saith said say says upon verily
    behold lo also yea nay wherefore thereof therefore even let
    le la les un une des du de et est en que qui quoi je tu il elle nous vous ils elles mon ma mes ton
    ta tes son sa ses ce cet cette au aux pour par sur dans avec pas ne plus comment pourquoi quand
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())

# Forms the suffix rules cannot reach (or would reach wrongly), mapped to a regular relative.
IRREGULAR = {
    "forgave": "forgive",
    "hungry": "hunger",
    "hungred": "hunger",
    "thirsty": "thirst",
    "fed": "feed",
    "ate": "eat",
    "gave": "give",
    "given": "give",
    "neighbor": "neighbour",
    "neighbors": "neighbour",
    "children": "child",
    "women": "woman",
    "men": "man",
    "taught": "teach",
    "afraid": "fear",
    "dying": "die",
    "died": "die",
    "sought": "seek",
    "bade": "bid",
}

# Tried longest-first; one suffix per pass, two passes, so "forgiveness" and "heavens" reduce fully.
_SUFFIXES = ("ness", "eth", "est", "ing", "ed", "en", "er", "es", "s")


def fold(text: str) -> str:
    """Lower-case without accents, so "Prière" and "priere" are one word."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


def stem(word: str) -> str:
    """A deliberately light stemmer: enough for "forgive" to meet "forgiven" and "forgiveth"."""
    word = IRREGULAR.get(word, word)
    for _ in range(2):
        if word.endswith(("ies", "ied")) and len(word) > 4:
            word = word[:-3] + "y"
            continue
        for suffix in _SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                if suffix == "s" and word.endswith("ss"):
                    break
                word = word[: -len(suffix)]
                break
        else:
            break
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    # "sinned" -> "sinn" -> "sin"; l/s/z doublings are part of the word ("fall", "bless").
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "lsz":
        word = word[:-1]
    return word


@functools.lru_cache(maxsize=65536)
def term(word: str) -> str:
    """The index term for one folded word, or "" for a stopword. Cached: a corpus repeats its
    words so often that this makes building the Gospels' index about three times faster."""
    return "" if word in STOPWORDS or len(word) < 2 else stem(word)


def tokens(text: str) -> list[str]:
    return [t for w in words(text) if (t := term(w))]


class BM25Index:
    """Okapi BM25 over pre-tokenised documents. Scores are precomputed per posting at build time
    (they depend only on the document), so a query is a handful of numpy scatter-adds."""

    def __init__(
        self,
        documents: Sequence[Sequence[str]],
        prior: Sequence[float] | None = None,
        k1: float = 1.2,
        b: float = 0.75,
    ) -> None:
        """`prior`: an optional per-document multiplier applied to every score."""
        self.size = len(documents)
        self._prior = None if prior is None else np.asarray(prior, dtype=np.float64)
        lengths = np.array([len(d) for d in documents], dtype=np.float64)
        average = float(lengths.mean()) if self.size and lengths.sum() else 1.0
        postings: dict[str, tuple[list[int], list[int]]] = {}
        for doc_id, doc in enumerate(documents):
            for term, count in Counter(doc).items():
                ids, counts = postings.setdefault(term, ([], []))
                ids.append(doc_id)
                counts.append(count)
        self._postings: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for term, (ids, counts) in postings.items():
            doc_ids = np.array(ids, dtype=np.int64)
            tf = np.array(counts, dtype=np.float64)
            # The "+1" form of idf stays positive even for terms in most documents.
            idf = np.log(1.0 + (self.size - len(ids) + 0.5) / (len(ids) + 0.5))
            norm = k1 * (1.0 - b + b * lengths[doc_ids] / average)
            self._postings[term] = (doc_ids, idf * tf * (k1 + 1.0) / (tf + norm))

    def __contains__(self, term: str) -> bool:
        return term in self._postings

    def scores(self, query: Mapping[str, float]) -> np.ndarray:
        """BM25 score of every document for weighted query terms (weight 1.0 = an asked word)."""
        total = np.zeros(self.size, dtype=np.float64)
        for term, weight in query.items():
            posting = self._postings.get(term)
            if posting is not None:
                total[posting[0]] += weight * posting[1]
        return total if self._prior is None else total * self._prior

    def search(self, query: Mapping[str, float], limit: int = 10) -> list[tuple[int, float]]:
        """Best documents first as (index, score); ties go to the earlier document, so results
        never depend on anything but the input."""
        total = self.scores(query)
        order = np.argsort(-total, kind="stable")[:limit]
        return [(int(i), float(total[i])) for i in order if total[i] > 0.0]


def weighted_terms(groups: Iterable[tuple[Iterable[str], float]]) -> dict[str, float]:
    """Merge (terms, weight) groups into one query; a term keeps its highest weight."""
    query: dict[str, float] = {}
    for terms, weight in groups:
        for term in terms:
            query[term] = max(query.get(term, 0.0), weight)
    return query
