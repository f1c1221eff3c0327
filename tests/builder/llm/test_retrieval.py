from __future__ import annotations

import pytest

from builder.llm.retrieval import BM25Index, fold, stem, tokens

FAMILIES = [
    ["forgive", "forgiven", "forgiveth", "forgiveness", "forgiving", "forgave"],
    ["pray", "prayer", "prayers", "prayed", "prayeth", "praying", "prayest"],
    ["love", "loved", "loveth", "lovest", "loving"],
    ["neighbour", "neighbours", "neighbor"],
    ["hunger", "hungry", "hungred", "hungered"],
    ["heaven", "heavens"],
    ["sin", "sins", "sinned", "sinners"],
    ["worry", "worried", "worries", "worrying"],
]


@pytest.mark.parametrize("family", FAMILIES, ids=lambda family: family[0])
def test_inflections_of_a_word_stem_alike(family):
    assert {stem(word) for word in family} == {stem(family[0])}


def test_distinct_words_keep_distinct_stems():
    assert len({stem(w) for w in ["bless", "bread", "fear", "pray", "love", "sin", "peace"]}) == 7
    assert stem("bless") == stem("blessed") != stem("bles")


def test_tokens_drop_punctuation_case_accents_and_stopwords():
    assert tokens("Thou shalt LOVE thy neighbour, as thyself!") == ["lov", "neighbour", "thyself"]
    assert fold("Prière à Noël") == "priere a noel"


def test_a_document_with_the_term_outranks_one_without():
    index = BM25Index([["bread", "life"], ["fish", "sea"], ["bread", "bread", "wine"]])

    hits = index.search({"bread": 1.0})

    assert [doc for doc, _ in hits] == [2, 0]  # more occurrences rank higher; doc 1 is not returned


def test_a_rare_term_weighs_more_than_a_common_one():
    docs = [["lov", "common"], ["common"], ["common"], ["common", "mercy"]]
    index = BM25Index(docs)

    scores = index.scores({"common": 1.0, "mercy": 1.0})

    assert scores[3] > scores[0]


def test_a_shorter_document_wins_at_equal_matches():
    index = BM25Index([["pray", "long", "long", "long", "long"], ["pray", "short"]])

    assert index.search({"pray": 1.0})[0][0] == 1


def test_ties_go_to_the_earlier_document():
    index = BM25Index([["a1", "pray"], ["b1", "pray"], ["c1", "pray"]])

    assert [doc for doc, _ in index.search({"pray": 1.0})] == [0, 1, 2]


def test_query_weights_and_the_prior_scale_scores():
    plain = BM25Index([["pray"], ["fast"]])
    boosted = BM25Index([["pray"], ["fast"]], prior=[1.0, 2.0])

    assert plain.scores({"pray": 0.5})[0] == pytest.approx(plain.scores({"pray": 1.0})[0] / 2)
    assert boosted.scores({"fast": 1.0})[1] == pytest.approx(2 * plain.scores({"fast": 1.0})[1])
    assert boosted.search({"unknown": 1.0}) == []
