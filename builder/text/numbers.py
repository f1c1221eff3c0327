"""Digits to words for speech, in English and French: dates, times, Bible references, ordinals,
currency, percentages, degrees, decimals, ranges and plain numbers.

The order of the passes matters: each turns its digits into words, so a later, more general pass
never sees them. "2024-12-25" must be a date before "2024" can be a number and "-12" a negative.
"""

from __future__ import annotations

import re

from builder.text.bible import expand_bible_refs
from builder.text.dates import expand_dates, expand_times
from builder.text.spell import base_language, say_decimal, say_int, say_ordinal, say_year

_EN_ORDINAL = re.compile(r"(?<![\d.,])(\d+)(st|nd|rd|th)\b", re.IGNORECASE)
_FR_ORDINAL = re.compile(r"(?<![\d.,])(\d+)(ère|ème|eme|er|re|nde|nd|e)\b")
_EN_YEAR_AFTER = re.compile(
    r"\b(in|since|from|by|until|till|of|year|before|after|around|circa|during|between|and|to)"
    r"\s+(1[1-9]\d\d|20\d\d)(?![\d,.]\d)",
    re.IGNORECASE,
)
_EN_DECADE = re.compile(r"(?<![\d.,])(1[1-9]\d0|20[0-9]0)'?s\b")
_VERSION = re.compile(r"(?<![\d.])(\d+(?:\.\d+){2,})(?![.\d])")
_FRACTION = re.compile(r"(?<![\d/.,])([1-3])\s?[/\u2044]\s?([234])(?![\d/])")
_RANGE = re.compile(r"(?<=\d)\s?[-\u2013]\s?(?=\d)")

# A number, with what may sit around it: a currency sign before, a scale word ("$2.5 million"),
# and a percent, currency or degree sign after.
_NUM = {
    "en": r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?",
    "fr": r"\d{1,3}(?:[ .]\d{3})+(?:,\d+)?|\d+(?:[,.]\d+)?",
}
_SCALE = {"en": r"thousand|million|billion|trillion", "fr": r"mille|millions?|milliards?"}
_NUMBER = {
    lang: re.compile(
        rf"(?:(?P<pre>[$€£])\s?)?(?P<neg>-)?(?<!\d)(?P<num>{num})(?!\d)"
        rf"(?:\s(?P<scale>{_SCALE[lang]})\b)?(?P<post>\s?(?:%|[$€£]|°(?:\s?[CF](?![^\W\d_]))?))?"
    )
    for lang, num in _NUM.items()
}

_FRACTIONS = {
    "en": {"1/2": "one half", "1/3": "one third", "2/3": "two thirds", "1/4": "one quarter",
           "3/4": "three quarters"},
    "fr": {"1/2": "un demi", "1/3": "un tiers", "2/3": "deux tiers", "1/4": "un quart",
           "3/4": "trois quarts"},
}  # fmt: skip
_CURRENCY = {
    "en": {"$": ("dollar", "dollars", "cent", "cents"), "€": ("euro", "euros", "cent", "cents"),
           "£": ("pound", "pounds", "penny", "pence")},
    "fr": {"$": ("dollar", "dollars", "centime", "centimes"), "€": ("euro", "euros", "centime", "centimes"),
           "£": ("livre", "livres", "penny", "pence")},
}  # fmt: skip
_WORDS = {
    "en": {"to": "to", "minus": "minus", "percent": "percent", "degree": ("degree", "degrees"),
           "point": "point", "and": " and "},
    "fr": {"to": "à", "minus": "moins", "percent": "pour cent", "degree": ("degré", "degrés"),
           "point": "point", "and": " "},
}  # fmt: skip
_DEGREE_SCALE = {"C": "Celsius", "F": "Fahrenheit"}


def expand_numbers(text: str, language: str = "en") -> str:
    """Every digit in `text` spelled out; text in other languages than English and French is kept."""
    lang = base_language(language)
    if lang is None or not any(c.isdigit() for c in text):
        return text
    text = expand_dates(text, lang)
    text = expand_bible_refs(text, lang)
    text = expand_times(text, lang)
    text = _expand_ordinals(text, lang)
    if lang == "en":
        text = _EN_YEAR_AFTER.sub(lambda m: f"{m[1]} {say_year(m[2], 'en')}", text)
        text = _EN_DECADE.sub(_decade, text)
    point = f" {_WORDS[lang]['point']} "
    text = _VERSION.sub(lambda m: _pad(m, point.join(say_int(p, lang) for p in m[1].split("."))), text)
    text = _FRACTION.sub(lambda m: _FRACTIONS[lang].get(f"{m[1]}/{m[2]}", m[0]), text)
    text = _RANGE.sub(f" {_WORDS[lang]['to']} ", text)
    return _NUMBER[lang].sub(lambda m: _pad(m, _say_number(m, lang)), text)


def _expand_ordinals(text: str, lang: str) -> str:
    if lang == "en":
        return _EN_ORDINAL.sub(lambda m: say_ordinal(m[1], "en"), text)

    def fr(m: re.Match[str]) -> str:
        if m[2] in ("nd", "nde"):
            return "second" if m[2] == "nd" else "seconde"
        return say_ordinal(m[1], "fr", feminine=m[2] in ("re", "ère"))

    return _FR_ORDINAL.sub(fr, text)


def _decade(m: re.Match[str]) -> str:
    words = say_year(m[1], "en")
    return words[:-1] + "ies" if words.endswith("y") else words + "s"


def _pad(m: re.Match[str], words: str) -> str:
    """Keep "COVID19" and "5km" apart from their number once spelled: "COVID nineteen", "five km"."""
    text = m.string
    before = " " if m.start() > 0 and text[m.start() - 1].isalpha() else ""
    after = " " if m.end() < len(text) and text[m.end()].isalpha() else ""
    return f"{before}{words}{after}"


def _split(num: str, lang: str) -> tuple[str, str]:
    """Whole and fractional digits of a number as written in `lang`."""
    if lang == "en":
        whole, _, frac = num.partition(".")
        return whole.replace(",", ""), frac
    if "," in num:
        whole, _, frac = num.partition(",")
        return whole.replace(" ", "").replace(".", ""), frac
    # A French "1.000" groups thousands; "3.5" is a decimal written the English way.
    if re.fullmatch(r"\d{1,3}(?:[ .]\d{3})+", num):
        return num.replace(" ", "").replace(".", ""), ""
    whole, _, frac = num.partition(".")
    return whole, frac


def _say_number(m: re.Match[str], lang: str) -> str:
    words = _WORDS[lang]
    whole, frac = _split(m["num"], lang)
    neg = bool(m["neg"]) and (m.start("neg") == 0 or not m.string[m.start("neg") - 1].isalnum())
    post = (m["post"] or "").strip()
    currency = m["pre"] or (post if post in _CURRENCY[lang] else None)
    if currency:
        spoken = _say_money(whole, frac, m["scale"], currency, lang)
    else:
        spoken = say_decimal(whole, frac, lang)
        if m["scale"]:
            spoken += f" {m['scale']}"
        if post == "%":
            spoken += f" {words['percent']}"
        elif post.startswith("°"):
            one, many = words["degree"]
            spoken += f" {one if whole in ('0', '1') and not frac else many}"
            if post[-1] in _DEGREE_SCALE:
                spoken += f" {_DEGREE_SCALE[post[-1]]}"
    if neg:
        spoken = f"{words['minus']} {spoken}"
    elif m["neg"] and not m.string[m.start() - 1].isalpha():
        spoken = " " + spoken  # a hyphen, not a minus; after a letter ("COVID-19") _pad adds the space
    return spoken


def _say_money(whole: str, frac: str, scale: str | None, sign: str, lang: str) -> str:
    one, many, sub_one, sub_many = _CURRENCY[lang][sign]
    if scale or len(frac) > 2:
        amount = say_decimal(whole, frac, lang) + (f" {scale}" if scale else "")
        if lang == "fr" and scale:
            many = ("d'" if many[0] in "aeiou" else "de ") + many  # "deux millions d'euros"
        return f"{amount} {many}"
    cents = int(frac.ljust(2, "0")) if frac else 0
    units = int(whole or "0")
    parts = []
    if units or not cents:
        parts.append(f"{say_int(str(units), lang)} {one if units == 1 else many}")
    if cents:
        sub = sub_one if cents == 1 else sub_many
        # French says "cinq euros cinquante", naming the cents only when there are no units.
        parts.append(
            say_int(str(cents), lang) if lang == "fr" and units else f"{say_int(str(cents), lang)} {sub}"
        )
    return _WORDS[lang]["and"].join(parts)
