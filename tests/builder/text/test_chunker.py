"""Sentence chunking of a streamed answer: early first chunk, whole sentences after, same result
however the stream is split."""

import random
import re

import pytest

from builder.text.chunker import SentenceChunker, speakable_chunks

ADVERSARIAL = [
    "Dr. Smith met M. Dupont, e.g. at 3.14 pm. Then J. R. R. Tolkien arrived! Wait... what? Fin.",
    "Read John 3:16 and Matthew 5.9 today. Visit https://example.com/a.b?c=1. Then rest.",
    "In the beginning was the Word, and the Word was with God, and the Word was God. The same was.",
    "Bonjour ! Comment allez-vous ? « Très bien ! » Merci.",
    "1. Love\n2. Hope\n\n3. Faith",
    "no punctuation at all in this one",
    "On May 5, 2024 we met at the great hall of the city, and we talked.",
    ("word " * 80).strip() + ". And a short one.",
    "It costs $3. 5 people came. No. 5 is mine.",
    "   ",
    "",
]


def chunks_of(deltas, **kwargs):
    return list(speakable_chunks(deltas, **kwargs))


def random_split(text, rng):
    cuts = sorted(rng.sample(range(1, len(text)), k=min(len(text) - 1, rng.randint(0, 12)))) if text else []
    return [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]


@pytest.mark.parametrize("text", ADVERSARIAL)
def test_character_by_character_feeding_gives_the_same_chunks_as_one_feed(text):
    assert chunks_of(list(text)) == chunks_of([text])


@pytest.mark.parametrize("text", ADVERSARIAL)
def test_token_by_token_feeding_gives_the_same_chunks_as_one_feed(text):
    tokens = re.findall(r"\s*\S+|\s+", text)  # roughly what an LLM streams: a word and its leading space
    assert chunks_of(tokens) == chunks_of([text])


@pytest.mark.parametrize("text", ADVERSARIAL)
def test_random_splits_give_the_same_chunks_as_one_feed(text):
    rng = random.Random(text)
    expected = chunks_of([text])
    for _ in range(30):
        assert chunks_of(random_split(text, rng)) == expected


def test_it_does_not_split_abbreviations_decimals_initials_or_lowercase_ellipses():
    assert chunks_of([ADVERSARIAL[0]]) == [
        "Dr. Smith met M. Dupont, e.g. at 3.14 pm.",
        "Then J. R. R. Tolkien arrived!",
        "Wait... what?",
        "Fin.",
    ]


def test_it_does_not_split_bible_references_or_urls():
    assert chunks_of([ADVERSARIAL[1]]) == [
        "Read John 3:16 and Matthew 5.9 today.",
        "Visit https://example.com/a.b?c=1.",
        "Then rest.",
    ]


def test_the_first_chunk_is_cut_early_at_a_comma_after_forty_characters():
    assert chunks_of([ADVERSARIAL[2]]) == [
        "In the beginning was the Word, and the Word was with God,",
        "and the Word was God.",
        "The same was.",
    ]


def test_no_early_cut_before_forty_characters_or_inside_a_date():
    assert chunks_of(["Yes, indeed. Fine."]) == ["Yes, indeed.", "Fine."]
    assert chunks_of([ADVERSARIAL[6]]) == [
        "On May 5, 2024 we met at the great hall of the city,",
        "and we talked.",
    ]


def test_only_the_first_chunk_is_cut_at_a_comma():
    text = "Short one. " + "This second sentence is long, with commas, many of them, and more words."
    assert chunks_of([text]) == ["Short one.", text[len("Short one. ") :]]


def test_french_spacing_before_punctuation_stays_with_its_sentence():
    assert chunks_of([ADVERSARIAL[3]]) == ["Bonjour !", "Comment allez-vous ?", "« Très bien ! »", "Merci."]


def test_line_breaks_end_chunks_and_list_numbers_are_not_sentences():
    assert chunks_of([ADVERSARIAL[4]]) == ["1. Love", "2. Hope", "3. Faith"]


def test_abbreviations_that_are_words_only_hold_before_a_number():
    assert chunks_of([ADVERSARIAL[8]]) == ["It costs $3.", "5 people came.", "No. 5 is mine."]
    assert chunks_of(["I said no. Then I left."]) == ["I said no.", "Then I left."]


def test_text_without_punctuation_comes_out_on_flush():
    chunker = SentenceChunker()
    assert chunker.feed("no punctuation at all") == []
    assert chunker.feed(" in this one") == []
    assert chunker.flush() == ["no punctuation at all in this one"]


def test_a_very_long_sentence_is_split_between_words():
    chunks = chunks_of([ADVERSARIAL[7]])
    assert [len(c) for c in chunks[:2]] == [249, 150]
    assert chunks[2] == "And a short one."
    assert " ".join(chunks[:2]) == ("word " * 80).strip() + "."


def test_a_very_long_sentence_is_split_at_its_last_comma_when_it_has_one():
    first = "Later sentence. "
    clauses = "Alpha beta gamma delta, " + "alpha beta gamma delta, " * 7
    long = clauses + ("epsilon " * 12) + "end."
    chunks = chunks_of([first + long], max_chars=250)
    assert chunks[0] == "Later sentence."
    assert chunks[1] == clauses.strip()
    assert chunks[2] == ("epsilon " * 12) + "end."


def test_a_giant_word_is_kept_whole():
    url = "https://example.com/" + "a" * 400
    assert chunks_of([f"See {url} now."], max_chars=100) == ["See", url, "now."]


def test_a_split_abbreviation_is_still_recognised():
    deltas = ["Dr", ".", " ", "Smith", " is here", ".", " Yes", "."]
    assert chunks_of(deltas) == ["Dr. Smith is here.", "Yes."]


def test_empty_and_whitespace_streams_yield_nothing():
    assert chunks_of([]) == []
    assert chunks_of(["", " ", "\n", "\t "]) == []


def test_chunks_are_stripped_and_never_empty():
    for text in ADVERSARIAL:
        for chunk in chunks_of(list(text)):
            assert chunk and chunk == chunk.strip()


def test_the_first_chunk_arrives_before_the_stream_ends():
    chunker = SentenceChunker()
    assert chunker.feed("Hello there.") == []  # the next word decides whether "." ends a sentence
    assert chunker.feed(" How") == ["Hello there."]
    assert chunker.flush() == ["How"]


def test_a_chunker_is_reusable_after_flush():
    chunker = SentenceChunker()
    chunker.feed("First stream. Over")
    chunker.flush()
    assert chunker.feed("In the beginning was the Word, and the Word was with God, and") == [
        "In the beginning was the Word, and the Word was with God,"
    ]


def test_random_streams_of_tricky_tokens_chunk_the_same_however_they_are_split():
    rng = random.Random(7)
    tokens = ["Dr.", "M.", "e.g.", "3.14", "John 3:16", "word", "Word", ".", ",", ";", ":", "!", "?", "...",
              "…", " ", "\n", "\n\n", "\t", "«", "»", '"', ")", "1.", "No.", "5", "https://x.com/a.b", "J.",
              " !", "\u00a0", "A"]  # fmt: skip
    for _ in range(300):
        text = "".join(rng.choice(tokens) + " " * rng.randint(0, 1) for _ in range(rng.randint(0, 80)))
        for max_chars in (250, 30):
            expected = chunks_of([text], max_chars=max_chars, first_min_chars=20)
            assert "".join("".join(expected).split()) == "".join(text.split())  # nothing lost but spaces
            for _ in range(3):
                assert chunks_of(random_split(text, rng), max_chars=max_chars, first_min_chars=20) == expected
