"""Near-duplicate questions: the same words give the same skeleton; mostly the same content words
(Jaccard ≥ 0.75 over at least three of them) count as the same question too.

Built for a flood: a message is compared only with questions sharing one of its rarer words, so
the cost per message stays flat however many questions are waiting.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass

STOP_WORDS = frozenset(
    (  # noqa: SIM905 - a word list reads better as words
        "a an the and or but if of to in on at by for with from as is are was were be been being am "
        "do does did doing have has had i me my we our you your he him his she her it its they them "
        "their this that these those what which who whom whose when where why how can could would "
        "should will shall may might must not no so than too very just about into over again please "
        "pls plz hey hi hello ok okay yes le la les un une des du de et ou est sont je tu il elle "
        "nous vous ils elles que qui quoi pourquoi comment ce cette ces mon ma mes ton ta tes son "
        "sa ses dans pour avec sur pas ne"
    ).split()
)
THRESHOLD = 0.75
MIN_CONTENT_WORDS = 3
COMMON = 64  # a word shared by this many waiting questions no longer narrows the search


@dataclass(frozen=True, slots=True)
class Signature:
    skeleton: str
    content: frozenset[str]

    @classmethod
    def of(cls, folded_words: Iterable[str]) -> Signature:
        words = [w for w in folded_words if w]
        content = frozenset(_stem(w) for w in words if w not in STOP_WORDS)
        return cls(" ".join(words), content)


def _stem(word: str) -> str:
    # Plural and verb "-s" only: "sins" and "sin", "loves" and "love" are the same question.
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


class DuplicateIndex:
    """Signatures of the questions still waiting or being answered, by key (a question id)."""

    def __init__(self) -> None:
        self._by_key: dict[Hashable, Signature] = {}
        self._by_skeleton: dict[str, Hashable] = {}
        self._postings: dict[str, set[Hashable]] = defaultdict(set)

    def __len__(self) -> int:
        return len(self._by_key)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._by_key

    def add(self, key: Hashable, signature: Signature) -> None:
        self.remove(key)
        self._by_key[key] = signature
        if signature.skeleton:
            self._by_skeleton.setdefault(signature.skeleton, key)
        for word in signature.content:
            self._postings[word].add(key)

    def remove(self, key: Hashable) -> None:
        signature = self._by_key.pop(key, None)
        if signature is None:
            return
        if self._by_skeleton.get(signature.skeleton) == key:
            del self._by_skeleton[signature.skeleton]
        for word in signature.content:
            keys = self._postings.get(word)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._postings[word]

    def rekey(self, old: Hashable, new: Hashable) -> None:
        signature = self._by_key.get(old)
        if signature is not None:
            self.remove(old)
            self.add(new, signature)

    def find(self, signature: Signature) -> tuple[Hashable, str] | None:
        """(key, why) of a waiting question this one duplicates, or None."""
        if signature.skeleton in self._by_skeleton:
            return self._by_skeleton[signature.skeleton], "same words"
        content = signature.content
        if len(content) < MIN_CONTENT_WORDS:
            return None
        candidates: set[Hashable] = set()
        for word in content:
            keys = self._postings.get(word)
            if keys and len(keys) <= COMMON:
                candidates |= keys
        best: tuple[float, Hashable] | None = None
        for key in candidates:
            other = self._by_key[key].content
            score = len(content & other) / len(content | other)
            if score >= THRESHOLD and (best is None or score > best[0]):
                best = (score, key)
        if best is None:
            return None
        return best[1], f"near-duplicate ({round(best[0] * 100)}% of the same words)"
