"""Dates and times as a speaker says them, in English and French.

English: "12/25/2024" and "2024-12-25" become "December twenty-fifth, twenty twenty-four"; "3:30 pm"
becomes "three thirty PM". French: "25/12/2024" and "25 décembre 2024" become "vingt-cinq décembre
deux mille vingt-quatre"; "15h30" becomes "quinze heures trente". A slashed date is read month first
in English and day first in French unless only the other order is a valid date.
"""

from __future__ import annotations

import re

from builder.text.spell import say_int, say_ordinal, say_year

_MONTHS = {
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    "fr": [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
}
# French months as people type them: capitalised, or without their accents.
_FR_MONTH_INDEX = {m: i for i, m in enumerate(_MONTHS["fr"], 1)}
_FR_MONTH_INDEX |= {"fevrier": 2, "aout": 8, "decembre": 12}
_EN_MONTH_INDEX = {m: i for i, m in enumerate(_MONTHS["en"], 1)}

_ISO = re.compile(r"(?<![\d/.-])(\d{4})-(\d{1,2})-(\d{1,2})(?![\d/-])")
_SLASHED = re.compile(r"(?<![\d/.])(\d{1,2})([/.])(\d{1,2})\2(\d{4})(?![\d/])")
_EN_MONTH = "|".join(_MONTHS["en"])
_EN_MONTH_DAY = re.compile(rf"\b({_EN_MONTH})\s+(\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(\d{{4}}))?(?!\d)")
_EN_DAY_MONTH = re.compile(
    rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_EN_MONTH})(?:,?\s+(\d{{4}}))?(?!\d)"
)
_FR_MONTH = "|".join(sorted(_FR_MONTH_INDEX, key=len, reverse=True))
_FR_DAY_MONTH = re.compile(rf"\b(1er|\d{{1,2}})\s+({_FR_MONTH})(?:\s+(\d{{4}}))?(?!\d)", re.IGNORECASE)

_EN_CLOCK = re.compile(
    r"(?<![\d:.,])([01]?\d|2[0-3]):([0-5]\d)(?![\d:])(?:\s?([ap])\.?m\b\.?)?", re.IGNORECASE
)
_EN_HOUR_AMPM = re.compile(r"(?<![\d:.,])(1[0-2]|0?[1-9])\s?([ap])\.?m\b\.?", re.IGNORECASE)
_FR_CLOCK = re.compile(
    r"(?<![\d:.,])([01]?\d|2[0-3])\s?(?:h(?![^\W\d_])(?:\s?([0-5]\d)(?!\d))?|:([0-5]\d)(?!\d))", re.IGNORECASE
)


def _valid(month: int, day: int) -> bool:
    return 1 <= month <= 12 and 1 <= day <= 31


def _say_date(lang: str, day: int, month: int, year: str | None) -> str:
    if lang == "en":
        spoken = f"{_MONTHS['en'][month - 1]} {say_ordinal(str(day), 'en')}"
        return f"{spoken}, {say_year(year, 'en')}" if year else spoken
    spoken = f"{say_ordinal('1', 'fr') if day == 1 else say_int(str(day), 'fr')} {_MONTHS['fr'][month - 1]}"
    return f"{spoken} {say_year(year, 'fr')}" if year else spoken


def expand_dates(text: str, lang: str) -> str:
    def iso(m: re.Match[str]) -> str:
        month, day = int(m[2]), int(m[3])
        return _say_date(lang, day, month, m[1]) if _valid(month, day) else m[0]

    def slashed(m: re.Match[str]) -> str:
        first, second = int(m[1]), int(m[3])
        month, day = (first, second) if lang == "en" else (second, first)
        if not _valid(month, day):
            month, day = day, month
        return _say_date(lang, day, month, m[4]) if _valid(month, day) else m[0]

    text = _ISO.sub(iso, text)
    text = _SLASHED.sub(slashed, text)
    if lang == "en":
        text = _EN_MONTH_DAY.sub(lambda m: _month_day(m, m[1], m[2], m[3]), text)
        return _EN_DAY_MONTH.sub(lambda m: _month_day(m, m[2], m[1], m[3]), text)
    return _FR_DAY_MONTH.sub(_fr_day_month, text)


def _month_day(m: re.Match[str], month: str, day: str, year: str | None) -> str:
    index = _EN_MONTH_INDEX[month]
    return _say_date("en", int(day), index, year) if _valid(index, int(day)) else m[0]


def _fr_day_month(m: re.Match[str]) -> str:
    day = 1 if m[1].lower() == "1er" else int(m[1])
    month = _FR_MONTH_INDEX.get(m[2].lower())
    if month is None or not _valid(month, day):
        return m[0]
    return _say_date("fr", day, month, m[3])


def _en_clock(hour: str, minute: str | None, half: str | None) -> str:
    spoken = say_int(str(int(hour)), "en")
    if minute and minute != "00":
        spoken += " oh " + say_int(minute[1], "en") if minute[0] == "0" else " " + say_int(minute, "en")
    elif not half:
        spoken += " o'clock"
    return f"{spoken} {half.upper()}M" if half else spoken


def _fr_clock(hour: str, minute: str | None) -> str:
    h = int(hour)
    spoken = f"{say_int(str(h), 'fr', feminine=True)} {'heure' if h <= 1 else 'heures'}"
    if minute and minute != "00":
        spoken += " " + say_int(str(int(minute)), "fr", feminine=True)
    return spoken


def expand_times(text: str, lang: str) -> str:
    if lang == "en":
        text = _EN_CLOCK.sub(lambda m: _en_clock(m[1], m[2], m[3]), text)
        return _EN_HOUR_AMPM.sub(lambda m: _en_clock(m[1], None, m[2]), text)
    return _FR_CLOCK.sub(lambda m: _fr_clock(m[1], m[2] or m[3]), text)
