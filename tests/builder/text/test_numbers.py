"""Numbers, dates, times, currency and abbreviations spelled out in English and French."""

import pytest

from builder.text.clean import clean_for_speech
from builder.text.numbers import expand_numbers


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("I have 3 apples", "I have three apples"),
        ("1,000,000 fans", "one million fans"),
        ("Pi is 3.14.", "Pi is three point one four."),
        ("It was -3 today", "It was minus three today"),
        ("the 1st, 2nd, 3rd and 21st", "the first, second, third and twenty-first"),
        ("In 1999 and in 2024", "In nineteen ninety-nine and in twenty twenty-four"),
        ("the 1990s", "the nineteen nineties"),
        ("It costs $5", "It costs five dollars"),
        ("$1.50 or $0.99", "one dollar and fifty cents or ninety-nine cents"),
        ("5 € and £2", "five euros and two pounds"),
        ("$2.5 million", "two point five million dollars"),
        ("50% off", "fifty percent off"),
        ("It is 20°C", "It is twenty degrees Celsius"),
        ("at 3:30", "at three thirty"),
        ("at 3:05 pm", "at three oh five PM"),
        ("at 12:00 or 5pm", "at twelve o'clock or five PM"),
        ("on 12/25/2024", "on December twenty-fifth, twenty twenty-four"),
        ("on 2024-12-25", "on December twenty-fifth, twenty twenty-four"),
        ("on December 25, 2024", "on December twenty-fifth, twenty twenty-four"),
        ("the 4th of July", "the July fourth"),
        ("scores 3-2", "scores three to two"),
        ("1/2 cup", "one half cup"),
        ("COVID-19", "COVID nineteen"),
        ("agent 007", "agent zero zero seven"),
    ],
)
def test_it_spells_english_numbers(text, spoken):
    assert expand_numbers(text, "en") == spoken


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("J'ai 21 ans", "J'ai vingt et un ans"),
        ("71 et 80 et 91", "soixante et onze et quatre-vingts et quatre-vingt-onze"),
        ("3,14", "trois virgule quatorze"),
        ("1 000 000 et 1.000", "un million et mille"),
        ("la 1re fois, le 2e jour, le 1er", "la première fois, le deuxième jour, le premier"),
        ("5 € ou 5,50 €", "cinq euros ou cinq euros cinquante"),
        ("0,99 €", "quatre-vingt-dix-neuf centimes"),
        ("2,5 millions €", "deux virgule cinq millions d'euros"),
        ("50 %", "cinquante pour cent"),
        ("il fait -5 °C", "il fait moins cinq degrés Celsius"),
        ("à 15h30", "à quinze heures trente"),
        ("à 21 h ou 1h", "à vingt et une heures ou une heure"),
        ("à 3:30", "à trois heures trente"),
        ("le 25 décembre 2024", "le vingt-cinq décembre deux mille vingt-quatre"),
        ("le 1er janvier", "le premier janvier"),
        ("le 25/12/2024", "le vingt-cinq décembre deux mille vingt-quatre"),
        ("le 2024-12-25", "le vingt-cinq décembre deux mille vingt-quatre"),
        ("de 5 à 10", "de cinq à dix"),
    ],
)
def test_it_spells_french_numbers(text, spoken):
    assert expand_numbers(text, "fr") == spoken


def test_bible_references_are_chapter_and_verse_not_times():
    assert expand_numbers("John 3:16 and Matthew 5.9", "en") == (
        "John chapter three, verse sixteen and Matthew chapter five, verse nine"
    )
    assert expand_numbers("1 Corinthians 13:4-7", "en") == (
        "First Corinthians chapter thirteen, verses four to seven"
    )
    assert expand_numbers("Jean 3:16", "fr") == "Jean chapitre trois, verset seize"


def test_text_without_digits_is_returned_as_it_is():
    assert expand_numbers("nothing to spell", "en") == "nothing to spell"


def test_unsupported_languages_keep_their_digits():
    assert expand_numbers("5 Äpfel", "de") == "5 Äpfel"


def test_very_long_digit_runs_are_read_digit_by_digit():
    assert expand_numbers("id 12345678901234567", "en") == (
        "id one two three four five six seven eight nine zero one two three four five six seven"
    )


def test_it_expands_english_abbreviations():
    text = "Dr. Smith met Mr. Jones and Mrs. Lee on St. Patrick's day, e.g. at noon, i.e. early, etc."
    assert clean_for_speech(text) == (
        "Doctor Smith met Mister Jones and Missus Lee on Saint Patrick's day, for example at noon, "
        "that is early, et cetera."
    )
    assert clean_for_speech("Good vs. evil on Main St.") == "Good versus evil on Main Street."


def test_it_keeps_the_full_stop_of_an_abbreviation_that_ends_a_sentence():
    assert clean_for_speech("Apples, pears, etc. Then more.") == "Apples, pears, et cetera. Then more."
    assert clean_for_speech("Apples, etc. and more.") == "Apples, et cetera and more."


def test_it_expands_french_abbreviations():
    text = "M. Dupont et Mme Martin, p. ex. le Dr Petit, n° 5, etc. Voilà !"
    assert clean_for_speech(text, "fr") == (
        "Monsieur Dupont et Madame Martin, par exemple le Docteur Petit, numéro cinq, etcétéra. Voilà!"
    )
    assert clean_for_speech("en 30 av. J.-C. Fin", "fr") == "en trente avant Jésus-Christ. Fin"


def test_a_lone_letter_m_is_not_monsieur():
    assert clean_for_speech("la lettre M. suivie", "fr") == "la lettre M. suivie"


def test_signs_between_numbers_are_read():
    assert clean_for_speech("2 + 2 = 4 & more") == "two plus two equals four and more"
    assert clean_for_speech("#1 fan", "fr") == "numéro un fan"
