"""Bible references ("John 3:16", "1 Corinthiens 13.4-7") read as chapter and verse.

They look like times or decimals, so they are expanded before those: "Jean 3:16" is not "trois heures
seize". Book names are matched in English and French whatever the language, since a French answer may
well quote "John 3:16"; they must be capitalised as books are.
"""

from __future__ import annotations

import re

from builder.text.spell import say_int

_BOOKS = (  # noqa: SIM905 (a word list reads best as prose)
    # English
    "Genesis Exodus Leviticus Numbers Deuteronomy Joshua Judges Ruth Samuel Kings Chronicles Ezra "
    "Nehemiah Esther Job Psalms Psalm Proverbs Ecclesiastes Isaiah Jeremiah Lamentations Ezekiel "
    "Daniel Hosea Joel Amos Obadiah Jonah Micah Nahum Habakkuk Zephaniah Haggai Zechariah Malachi "
    "Matthew Mark Luke John Acts Romans Corinthians Galatians Ephesians Philippians Colossians "
    "Thessalonians Timothy Titus Philemon Hebrews James Peter Jude Revelation Sirach Tobit Judith "
    "Wisdom Maccabees "
    # French (with and without the initial accent, both are common)
    "Genèse Exode Lévitique Nombres Deutéronome Josué Juges Rois Chroniques Esdras Néhémie Psaumes "
    "Psaume Proverbes Ecclésiaste Cantique Ésaïe Esaïe Isaïe Jérémie Ézéchiel Ezéchiel Osée Joël "
    "Abdias Jonas Michée Habacuc Sophonie Aggée Zacharie Malachie Matthieu Marc Luc Jean Actes "
    "Romains Corinthiens Galates Éphésiens Ephésiens Philippiens Colossiens Thessaloniciens "
    "Timothée Tite Philémon Hébreux Jacques Pierre Apocalypse Siracide Tobie Sagesse Maccabées"
).split()

# Longest names first so "Psalms" wins over "Psalm".
_BOOK = "|".join(sorted(set(_BOOKS), key=len, reverse=True))
_REF = re.compile(
    rf"(?<![\w.])(?:(?P<nth>[123])\s?)?(?P<book>{_BOOK})\.?\s+(?P<ch>\d{{1,3}})\s?[:.]\s?(?P<v>\d{{1,3}})"
    r"(?:\s?[-\u2013]\s?(?P<v2>\d{1,3}))?(?![\d:.]\d)"
)
_NTH = {
    "en": {"1": "First", "2": "Second", "3": "Third"},
    "fr": {"1": "premier", "2": "deuxième", "3": "troisième"},
}
_WORDS = {
    "en": ("chapter", "verse", "verses", "to"),
    "fr": ("chapitre", "verset", "versets", "à"),
}


def expand_bible_refs(text: str, lang: str) -> str:
    chapter, verse, verses, to = _WORDS[lang]

    def spoken(m: re.Match[str]) -> str:
        book = m["book"]
        if m["nth"]:
            book = f"{_NTH[lang][m['nth']]} {book}"
        head = f"{book} {chapter} {say_int(m['ch'], lang)}"
        if m["v2"]:
            return f"{head}, {verses} {say_int(m['v'], lang)} {to} {say_int(m['v2'], lang)}"
        return f"{head}, {verse} {say_int(m['v'], lang)}"

    return _REF.sub(spoken, text)
