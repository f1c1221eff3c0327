"""Common English and French abbreviations spelled out, so a voice says "Doctor" and not "D R".

Titles expand only before a capitalised name ("M. Dupont"), so a lone letter "M." stays a letter.
An abbreviation that can end a sentence ("etc.") keeps its full stop when a sentence follows.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_CAP = r"(?=[\s-]+[A-ZÀ-Ý])"  # followed by a capitalised word
_END = re.compile(r"\s*(?:$|[A-ZÀ-Ý\"'(])")

# (pattern, words, may end a sentence)
_RULES: dict[str, list[tuple[str, str, bool]]] = {
    "en": [
        (rf"\bDr\.?{_CAP}", "Doctor", False),
        (r"\bMrs\.?(?=\s)", "Missus", False),
        (r"\bMr\.?(?=\s)", "Mister", False),
        (r"\bMs\.?(?=\s)", "Miz", False),
        (rf"\bProf\.?{_CAP}", "Professor", False),
        (rf"\bMt\.?{_CAP}", "Mount", False),
        (rf"\bSt\.?{_CAP}", "Saint", False),
        (r"(?<=[a-z] )St\.", "Street", True),
        (r"\bJr\.", "Junior", True),
        (r"\bSr\.", "Senior", True),
        (r"\be\.\s?g\.", "for example", False),
        (r"\bi\.\s?e\.", "that is", False),
        (r"\betc\.", "et cetera", True),
        (r"\bvs\.?(?=\s)", "versus", False),
        (r"\bapprox\.", "approximately", False),
        (r"\b[Nn]o\.\s?(?=\d)", "number ", False),
        (r"\b[Nn]°\s?", "number ", False),
        (r"#(?=\d)", "number ", False),
        (r" ?& ?", " and ", False),
        (r"(?<=\w)@(?=\w)", " at ", False),
        (r"(?<=\d) ?\+ ?(?=\d)", " plus ", False),
        (r"(?<=\d) ?= ?(?=\d)", " equals ", False),
    ],
    "fr": [
        (rf"\bM\.{_CAP}", "Monsieur", False),
        (r"\bMM\.(?=\s)", "Messieurs", False),
        (r"\bMmes\.?(?=\s)", "Mesdames", False),
        (r"\bMme\.?(?=\s)", "Madame", False),
        (r"\bMlles\.?(?=\s)", "Mesdemoiselles", False),
        (r"\bMlle\.?(?=\s)", "Mademoiselle", False),
        (rf"\bDr\.?{_CAP}", "Docteur", False),
        (rf"\bPr\.?{_CAP}", "Professeur", False),
        (rf"\bSte\.?{_CAP}", "Sainte", False),
        (rf"\bSt\.?{_CAP}", "Saint", False),
        (r"\bav\.\s?J\.-C\.", "avant Jésus-Christ", True),
        (r"\bapr\.\s?J\.-C\.", "après Jésus-Christ", True),
        (r"\bJ\.-C\.", "Jésus-Christ", True),
        (r"\bp\.\s?ex\.", "par exemple", False),
        (r"\bc\.-à-d\.|\bc-à-d\b\.?", "c'est-à-dire", False),
        (r"\betc\.", "etcétéra", True),
        (r"\bcf\.", "voir", False),
        (r"\benv\.(?=\s)", "environ", False),
        (r"\bvs\.?(?=\s)", "contre", False),
        (r"\b[Nn]°\s?", "numéro ", False),
        (r"#(?=\d)", "numéro ", False),
        (r" ?& ?", " et ", False),
        (r"(?<=\w)@(?=\w)", " arobase ", False),
        (r"(?<=\d) ?\+ ?(?=\d)", " plus ", False),
        (r"(?<=\d) ?= ?(?=\d)", " égale ", False),
    ],
}


def _replacer(words: str, may_end: bool) -> Callable[[re.Match[str]], str]:
    def replace(m: re.Match[str]) -> str:
        if may_end and _END.match(m.string, m.end()):
            return words + "."
        return words

    return replace


_COMPILED = {
    lang: [(re.compile(pattern), _replacer(words, may_end)) for pattern, words, may_end in rules]
    for lang, rules in _RULES.items()
}


def expand_abbreviations(text: str, lang: str) -> str:
    for pattern, replace in _COMPILED.get(lang, ()):
        text = pattern.sub(replace, text)
    return text
