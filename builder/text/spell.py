"""Numbers as words in English and French, the building block of number and date expansion.

num2words does the spelling; this module fixes its few outputs a speech engine stumbles on (commas
inside English numbers, French plural ordinals) and refuses absurd lengths.
"""

from __future__ import annotations

from functools import lru_cache

from num2words import num2words

# Longer digit runs are ids, phone or card numbers: read digit by digit, never "a quadrillion".
MAX_DIGITS = 15

_DIGITS = {
    "en": ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"],
    "fr": ["zéro", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf"],
}


def base_language(language: str) -> str | None:
    """The base language, "en" or "fr", of a tag such as "fr-CA"; None where we do not expand numbers."""
    tag = (language or "").strip().lower()[:2]
    return tag if tag in _DIGITS else None


def say_digits(digits: str, lang: str) -> str:
    return " ".join(_DIGITS[lang][int(d)] for d in digits if d.isdigit())


@lru_cache(maxsize=4096)
def say_int(digits: str, lang: str, feminine: bool = False) -> str:
    """A string of ASCII digits as words; leading zeros and very long runs are read digit by digit."""
    digits = digits.strip()
    if not digits.isascii() or not digits.isdigit():
        return digits
    if (len(digits) > 1 and digits[0] == "0") or len(digits) > MAX_DIGITS:
        return say_digits(digits, lang)
    words = num2words(int(digits), lang=lang).replace(",", "")
    if feminine and lang == "fr" and (words == "un" or words.endswith(" un")):
        words += "e"
    return words


@lru_cache(maxsize=1024)
def say_ordinal(digits: str, lang: str, feminine: bool = False) -> str:
    if len(digits) > MAX_DIGITS:
        return say_digits(digits, lang)
    n = int(digits)
    if lang == "fr" and n == 1:
        return "première" if feminine else "premier"
    words = num2words(n, lang=lang, to="ordinal").replace(",", "")
    # num2words writes "quatre-vingtsième" and "deux centsième": the plural s goes before -ième.
    return words.replace("vingtsième", "vingtième").replace("centsième", "centième")


def say_year(digits: str, lang: str) -> str:
    """English reads years in pairs ("twenty twenty-four"); French reads them as plain numbers."""
    n = int(digits)
    if lang == "en" and 1000 <= n <= 2999 and not digits.startswith("0"):
        return num2words(n, lang="en", to="year").replace(",", "")
    return say_int(digits, lang)


def say_fraction_digits(frac: str, lang: str) -> str:
    """The part after the decimal point: English reads digits; French reads a short group as a number
    ("trois virgule quatorze") after its leading zeros ("zéro virgule zéro cinq")."""
    if lang == "en" or len(frac) > 3:
        return say_digits(frac, lang)
    zeros = len(frac) - len(frac.lstrip("0"))
    rest = frac[zeros:]
    parts = ["zéro"] * zeros + ([say_int(rest, lang)] if rest else [])
    return " ".join(parts)


def say_decimal(whole: str, frac: str, lang: str) -> str:
    words = say_int(whole or "0", lang)
    if not frac:
        return words
    point = "point" if lang == "en" else "virgule"
    return f"{words} {point} {say_fraction_digits(frac, lang)}"
