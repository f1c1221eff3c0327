"""Bridges between how viewers ask and how the King James Version speaks.

Viewers say "worried about tomorrow"; the KJV says "take no thought for the morrow". A French
viewer says "pardon"; the English corpus says "forgive". These small glossaries add the KJV's
words to a question's own before it is searched. They are query-side only: the index is not
touched, so a wrong entry costs a little relevance, never a wrong quote.
"""

from __future__ import annotations

from collections.abc import Iterable

from builder.llm.retrieval import stem, term

# Modern English (any inflection: keys are stemmed) -> KJV words. Weighted below the asked words.
MODERN_TO_KJV = {
    "worry": "thought troubled fear afraid morrow",
    "worried": "thought troubled fear afraid morrow",
    "anxious": "thought troubled fear afraid morrow",
    "anxiety": "thought troubled fear afraid morrow",
    "stress": "thought troubled fear afraid",
    "scared": "fear afraid",
    "frightened": "fear afraid",
    "terrified": "fear afraid",
    "tomorrow": "morrow",
    "future": "morrow",
    "food": "bread meat eat",
    "starving": "hunger bread",
    "money": "mammon money rich treasure",
    "wealth": "rich riches treasure mammon",
    "sad": "mourn sorrow comfort",
    "grief": "mourn sorrow comfort",
    "depressed": "mourn sorrow comfort heavy",
    "lonely": "alone comfort",
    "kindness": "mercy merciful compassion",
    "kind": "mercy merciful compassion",
    "sick": "sick heal",
    "illness": "sick heal",
    "angry": "anger angry brother judgment",
    "family": "mother brethren house",
    "meaning": "life way truth",
    "purpose": "life way truth",
    "others": "neighbour",
    "bad": "evil",
    "die": "death dead life",
    "death": "life dead die",
}

# Words that shape a question but say nothing about its subject; searched, they find narrative
# ("what happens" finds "all these things which had happened").
QUESTION_NOISE = frozenset(
    {"happen", "mean", "tell", "know", "think", "want", "need", "feel", "get", "make", "really", "much"}
    | {"thing", "something", "anything", "like"}
)

# French (accents folded) -> English words of the Gospels. A key of four letters or more also
# matches longer words it begins ("pardonner", "prieres"), which covers most inflections.
FRENCH_TO_ENGLISH = {
    "pardon": "forgive forgiveness",
    "peur": "fear afraid",
    "crain": "fear afraid",
    "inquiet": "worry",
    "souci": "worry",
    "angoiss": "worry",
    "demain": "morrow",
    "amour": "love",
    "aime": "love",
    "aimons": "love",
    "prochain": "neighbour",
    "ennemi": "enemy enemies",
    "priere": "pray prayer",
    "prie": "pray",
    "pain": "bread",
    "faim": "hunger hungry",
    "nourri": "food",
    "manger": "eat",
    "soif": "thirst",
    "eau": "water",
    "paix": "peace",
    "joie": "joy",
    "mort": "death die",
    "mourir": "die death",
    "vie": "life",
    "ciel": "heaven",
    "cieux": "heaven",
    "royaume": "kingdom",
    "pere": "father",
    "mere": "mother",
    "frere": "brother",
    "soeur": "sister",
    "enfant": "child",
    "dieu": "god",
    "foi": "faith",
    "croi": "believe",
    "esper": "hope",
    "pauvre": "poor",
    "riche": "rich",
    "argent": "money",
    "peche": "sin sinner",
    "lumiere": "light",
    "verite": "truth",
    "chemin": "way",
    "colere": "angry",
    "juge": "judge",
    "humble": "humble meek",
    "triste": "sad",
    "chagrin": "sad",
    "malade": "sick",
    "gueri": "heal",
    "repos": "rest",
    "fatigue": "weary rest",
    "seul": "lonely",
    "servi": "serve servant",
    "donner": "give",
    "tentation": "temptation",
    "mal": "evil",
}

_MODERN = {stem(k): tuple(v.split()) for k, v in MODERN_TO_KJV.items()}
_NOISE = frozenset(stem(w) for w in QUESTION_NOISE)


def from_french(folded_words: Iterable[str]) -> list[str]:
    """English words for the French words of a question (accents already folded)."""
    found: list[str] = []
    for word in folded_words:
        for key, english in FRENCH_TO_ENGLISH.items():
            if word == key or (len(key) >= 4 and word.startswith(key)):
                found.extend(english.split())
    return found


def without_noise(terms: Iterable[str]) -> list[str]:
    return [t for t in terms if t not in _NOISE]


def kjv_terms(terms: Iterable[str]) -> list[str]:
    """Index terms for the KJV's way of saying what these (stemmed) terms say in modern English."""
    found: list[str] = []
    for t in terms:
        found.extend(x for w in _MODERN.get(t, ()) if (x := term(w)))
    return found
