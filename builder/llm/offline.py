"""The engine that needs no model and no network: it answers by quoting the persona's corpus.

The question is searched (BM25) against the corpus; the best one or two passages are quoted with
their references between an opening and a closing in the persona's voice. Everything is chosen
deterministically (rank order, ties to the earlier passage, phrasing by a hash of the question),
so the same question always gets the same answer: a clip can be rebuilt, and tests can pin it.
The answer is streamed word by word so the rest of the pipeline sees what a real LLM would give.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping

from builder.llm.base import LLMEngine, Prompt
from builder.llm.corpus import Corpus, Passage, gospels, localise_reference
from builder.llm.lexicon import from_french, kjv_terms, without_noise
from builder.llm.phrasing import DEFAULT_PHRASING, Phrasing
from builder.llm.retrieval import BM25Index, fold, term, weighted_terms, words

# Asked words count fully; words the glossary adds count less, so they steer without taking over.
EXPANSION_WEIGHT = 0.6
# A shorter passage may replace a best one that overruns the budget if it scores this close; a
# second quote must score at least SECOND_QUOTE_RATIO of the best, or it is padding.
FIRST_QUOTE_RATIO = 0.75
SECOND_QUOTE_RATIO = 0.5
CANDIDATES = 12
# Passages that speak to a "you" (teaching, not narrative) rank up to this much higher: a viewer
# asking about worry wants "take no thought for the morrow", not a story in which someone worried.
ADDRESS_BOOST = 0.3
ADDRESS = frozenset({"ye", "you", "your", "thou", "thee", "thy", "thine", "yourselves", "thyself"})
# Only so much of a question is read: chat messages are short, and this bounds the work.
QUESTION_WORDS = 200

_PIECE = re.compile(r"\S+\s*")


class OfflineEngine(LLMEngine):
    name = "offline"

    def __init__(
        self,
        corpus: Corpus | Iterable[tuple[str, str]] | None = None,
        *,
        phrasing: Mapping[str, Phrasing] | None = None,
    ) -> None:
        """`corpus`: None for the KJV Gospels, a `Corpus`, or (reference, text) pairs."""
        if corpus is not None and not isinstance(corpus, Corpus):
            corpus = Corpus.from_pairs(corpus)
        self._corpus = corpus
        self._phrasing = dict(phrasing or DEFAULT_PHRASING)

    @property
    def corpus(self) -> Corpus:
        return self._corpus if self._corpus is not None else gospels()

    @functools.cached_property
    def index(self) -> BM25Index:
        """Built on first use; the Gospels' index is shared by every engine in the process."""
        if self._corpus is None:
            return _gospel_index()
        return _build_index(self._corpus)

    def prepare(self) -> None:
        """Build the index now (a worker calls this at start so the first answer is not slow)."""
        _ = self.index

    def stream(self, prompt: Prompt) -> Iterator[str]:
        for piece in _PIECE.finditer(self.compose(prompt)):
            yield piece.group()

    def compose(self, prompt: Prompt) -> str:
        corpus, language = self.corpus, prompt.language
        phrasing = self._phrasing.get(language) or self._phrasing.get("en") or DEFAULT_PHRASING["en"]
        seed = _seed(prompt.question, language)
        opening = _pick(phrasing.openings, seed, 0)
        closing = _pick(phrasing.closings, seed, 1)
        frames = phrasing.frames
        if corpus.language != language and phrasing.foreign_frames:
            frames = phrasing.foreign_frames
        budget = prompt.max_words - _count(opening) - _count(closing)

        query = self.query(prompt.question, language)
        ranked = self.index.search(query, CANDIDATES)
        if not ranked:
            pool = corpus.fallback or tuple(range(len(corpus.passages)))
            ranked = [(pool[seed % len(pool)], 1.0)]
        overhead = max(_count(t) for t in (*frames, *phrasing.more))
        chosen = _select([(corpus.passages[i], score) for i, score in ranked], query, budget, overhead)
        quotes = [
            _pick(phrasing.more if n else frames, seed, 2 + n).format(
                ref=localise_reference(passage.reference, language), text=_as_sentence(passage.text)
            )
            for n, passage in enumerate(chosen)
        ]
        return " ".join([opening, *quotes, closing])

    def query(self, question: str, language: str) -> dict[str, float]:
        """The weighted index terms for a question: its own words, plus glossary bridges."""
        asked = words(question)[:QUESTION_WORDS]
        own = without_noise(t for w in asked if (t := term(w)))
        if language == "fr" and self.corpus.language != "fr":
            own += [t for w in from_french(asked) if (t := term(w))]
        groups = [(own, 1.0)]
        if self.corpus.language == "en":
            groups.append((kjv_terms(own), EXPANSION_WEIGHT))
        return weighted_terms(groups)


def _select(
    ranked: list[tuple[Passage, float]], query: Mapping[str, float], budget: int, overhead: int
) -> list[Passage]:
    """One or two passages to quote, best first, within about `budget` words.

    The first is the best passage that fits; if none nearly as good fits, the shortest of those
    is quoted anyway (the budget is a target, and an answer needs a quote). A second must also
    be nearly as relevant, fit what is left, repeat no verse and share a searched word with the
    first, so the answer keeps to one subject ("forgive someone who hurt me" must not drift to a
    verse about hurt).
    """
    best = ranked[0][1]

    def cost(passage: Passage) -> int:
        return _count(passage.text) + overhead

    close = [p for p, score in ranked if score >= best * FIRST_QUOTE_RATIO]
    first = next((p for p in close if cost(p) <= budget), min(close, key=cost))
    theme = query.keys() & _terms(first.text)
    budget -= cost(first)
    for passage, score in ranked:
        if (
            score >= best * SECOND_QUOTE_RATIO
            and cost(passage) <= budget
            and not passage.overlaps(first)
            and query.keys() & _terms(passage.text) & theme
        ):
            return [first, passage]
    return [first]


def _terms(text: str) -> set[str]:
    return {t for w in words(text) if (t := term(w))}


def _build_index(corpus: Corpus) -> BM25Index:
    documents, prior = [], []
    for passage in corpus.passages:
        folded = words(passage.text)
        documents.append([t for w in folded if (t := term(w))])
        addressed = sum(w in ADDRESS for w in folded) if corpus.language == "en" else 0
        prior.append(1.0 + ADDRESS_BOOST * min(1.0, addressed / 2))
    return BM25Index(documents, prior)


@functools.cache
def _gospel_index() -> BM25Index:
    return _build_index(gospels())


def _seed(question: str, language: str) -> int:
    # Folded and whitespace-collapsed, so "Why pray?" and "why  pray?" get the same answer.
    key = f"{language}\x00{' '.join(fold(question).split())}".encode()
    return int.from_bytes(hashlib.sha256(key).digest()[:8], "big")


def _pick(options: tuple[str, ...], seed: int, slot: int) -> str:
    # A different slice of the seed per slot, so opening and closing do not move in lockstep.
    return options[(seed >> (8 * slot)) % len(options)]


def _count(text: str) -> int:
    return len(text.split())


def _as_sentence(text: str) -> str:
    """A verse can end mid-sentence (",", ";", ":"); a quote read aloud must end as a sentence."""
    text = text.strip().rstrip(",;:-—")
    return text if text.endswith((".", "!", "?")) else f"{text}."
