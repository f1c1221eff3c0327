from __future__ import annotations

from builder.llm import filter as output_filter
from builder.llm.filter import FilterVerdict, check_answer


def test_a_clean_answer_is_allowed():
    assert check_answer("Peace be with you, my friend.", ["hate", "war"]) == FilterVerdict(True, "")


def test_a_banned_word_is_caught_whatever_its_case_with_the_reason():
    verdict = check_answer("Do not HATE your brother.", ["hate"])

    assert not verdict.allowed
    assert verdict.reason == 'the answer contains "hate" (the persona\'s banned words)'


def test_accents_do_not_hide_a_word_either_way():
    assert not check_answer("Tu es un PÉCHEUR.", ["pecheur"]).allowed
    assert not check_answer("Tu es un pecheur.", ["pécheur"]).allowed


def test_only_whole_words_match():
    assert check_answer("The class read a passage about grass.", ["ass"]).allowed
    assert not check_answer("Like an ass, he would not move.", ["ass"]).allowed


def test_a_phrase_matches_across_punctuation_and_line_breaks():
    verdict = check_answer("Well, as an AI-language\nmodel, I cannot.", [])

    assert not verdict.allowed
    assert verdict.reason == 'the answer contains "as an ai language model" (the studio\'s banned words)'


def test_a_phrase_does_not_match_its_words_apart():
    assert check_answer("The model said, as an example, that AI language helps.", []).allowed


def test_an_entry_ending_in_a_star_matches_words_it_begins():
    assert not check_answer("They were damned to wander.", ["damn*"]).allowed
    assert check_answer("A dam holds water.", ["damn*"]).allowed


def test_blank_entries_are_ignored():
    assert check_answer("Anything at all.", ["", "   ", "*"]).allowed


def test_the_global_list_can_be_replaced_or_extended():
    text = "That is in my system prompt."
    assert not check_answer(text).allowed
    assert check_answer(text, global_banned=()).allowed
    assert not check_answer(
        "Buy crypto today.", global_banned=(*output_filter.GLOBAL_BANNED, "crypto")
    ).allowed
