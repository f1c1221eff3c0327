from __future__ import annotations

import re
import time

import pytest

from builder.llm.base import Prompt
from builder.llm.corpus import Corpus, gospels
from builder.llm.offline import OfflineEngine
from builder.llm.phrasing import ENGLISH, FRENCH

REFERENCE = re.compile(r"\b(Matthew|Mark|Luke|John) \d+:\d+(-\d+)?\b")
FRENCH_REFERENCE = re.compile(r"\b(Matthieu|Marc|Luc|Jean) \d+:\d+(-\d+)?\b")

TOPICS = {
    "forgiveness": (
        {"forgive", "forgiven", "forgiveth"},
        ["How can I forgive someone who hurt me?", "What is forgiveness?"],
    ),
    "fear and worry": (
        {"fear", "afraid", "thought", "morrow", "troubled"},
        [
            "I am afraid, what should I do?",
            "I worry about tomorrow",
            "How do I stop being anxious about the future?",
        ],
    ),
    "love of neighbour": ({"neighbour"}, ["Who is my neighbour?", "How should I love my neighbor?"]),
    "prayer": (
        {"pray", "prayed", "praying", "prayer"},
        ["How should I pray?", "Teach me to pray", "Does prayer work?"],
    ),
    "bread and hunger": (
        {"bread", "hungred", "hunger", "hungered", "eat", "meat"},
        ["I am hungry", "Will I have enough bread to eat?", "What is the bread of life?"],
    ),
}
FRENCH_TOPICS = [
    ("Comment pardonner à mon frère ?", {"forgive", "forgiven"}),
    ("J'ai peur, je suis inquiet pour demain", {"fear", "afraid", "thought", "morrow", "troubled"}),
    ("Comment faut-il prier ?", {"pray", "prayed", "praying", "prayer"}),
    ("Qui est mon prochain ?", {"neighbour"}),
    ("J'ai faim", {"bread", "hungred", "hunger", "hungered"}),
]


@pytest.fixture(scope="module")
def engine() -> OfflineEngine:
    engine = OfflineEngine()
    engine.prepare()
    return engine


def ask(engine: OfflineEngine, question: str, **fields: object) -> str:
    return engine.answer(Prompt(system="", question=question, **fields))  # type: ignore[arg-type]


def quotes(answer: str) -> list[str]:
    return re.findall(r'"([^"]+)"', answer) or re.findall(r"« (.+?) »", answer)


def quoted_words(answer: str) -> set[str]:
    return {w for q in quotes(answer) for w in re.findall(r"[a-z]+", q.lower())}


@pytest.mark.parametrize(
    ("topic", "question"), [(topic, q) for topic, (_, questions) in TOPICS.items() for q in questions]
)
def test_every_quoted_passage_is_about_the_topic_asked(engine, topic, question):
    answer = ask(engine, question)

    assert 1 <= len(quotes(answer)) <= 2, answer
    for quote in quotes(answer):
        assert set(re.findall(r"[a-z]+", quote.lower())) & TOPICS[topic][0], (question, quote)


@pytest.mark.parametrize(("question", "topic_words"), FRENCH_TOPICS)
def test_a_french_question_finds_the_passages_for_its_topic(engine, question, topic_words):
    answer = ask(engine, question, language="fr")

    assert quoted_words(answer) & topic_words, answer


def test_an_answer_is_an_opening_then_referenced_quotes_then_a_closing(engine):
    answer = ask(engine, "What is forgiveness?")

    assert any(answer.startswith(o) for o in ENGLISH.openings)
    assert any(answer.endswith(c) for c in ENGLISH.closings)
    assert len(REFERENCE.findall(answer)) == len(quotes(answer))
    assert "Matthew 6:14" in answer  # "For if ye forgive men their trespasses..."


def test_a_french_answer_is_framed_in_french_and_says_the_quote_is_english(engine):
    answer = ask(engine, "Comment pardonner à mon frère ?", language="fr")

    assert any(answer.startswith(o) for o in FRENCH.openings)
    assert any(answer.endswith(c) for c in FRENCH.closings)
    assert FRENCH_REFERENCE.search(answer) and not REFERENCE.search(answer)
    assert "anglais" in answer
    assert "«" in answer and '"' not in answer


def test_the_same_question_always_gets_the_same_answer(engine):
    first = ask(engine, "How should I pray?")

    assert ask(engine, "How should I pray?") == first
    assert ask(engine, "  how should i PRAY? ") == first
    assert OfflineEngine(corpus=gospels()).answer(Prompt(system="", question="How should I pray?")) == first


def test_different_questions_get_varied_phrasing(engine):
    questions = [q for _, questions in TOPICS.values() for q in questions]
    openings = {ask(engine, q).split(".")[0] for q in questions}

    assert len(openings) >= 3


def test_it_streams_word_by_word_like_a_model(engine):
    prompt = Prompt(system="", question="Who is my neighbour?")

    pieces = list(engine.stream(prompt))

    assert len(pieces) > 20
    assert all(len(piece.split()) == 1 for piece in pieces)
    assert "".join(pieces) == engine.answer(prompt)


def test_the_answer_keeps_near_the_word_budget(engine):
    questions = [q for _, questions in TOPICS.values() for q in questions]
    for question in questions:
        short = len(ask(engine, question, max_words=40).split())
        normal = len(ask(engine, question, max_words=90).split())
        assert short <= normal <= 100, question


def test_a_question_that_matches_nothing_quotes_a_general_passage(engine):
    answer = ask(engine, "zxqv blorf")

    assert len(quotes(answer)) == 1
    assert REFERENCE.search(answer).group(0) in {"Matthew 11:28", "John 14:27", "Matthew 5:9", "John 13:34"}
    assert ask(engine, "zxqv blorf") == answer
    assert ask(engine, "") == ask(engine, "")


def test_answering_takes_well_under_fifty_milliseconds(engine):
    questions = [q for _, questions in TOPICS.values() for q in questions]
    started = time.perf_counter()
    for question in questions * 5:
        ask(engine, question)
    per_answer = (time.perf_counter() - started) / (len(questions) * 5)

    # The real figure (about 0.2 ms) is in the benchmark; this bound only catches a regression.
    assert per_answer < 0.2


def test_building_the_gospel_index_is_quick():
    gospels()  # the text is cached per process; the index for a new engine is built afresh
    started = time.perf_counter()
    OfflineEngine(corpus=gospels()).prepare()

    assert time.perf_counter() - started < 5.0


def test_a_persona_can_bring_its_own_corpus():
    engine = OfflineEngine(
        [
            ("Sayings 1", "A stitch in time saves nine."),
            ("Sayings 2", "Look before you leap."),
            ("Sayings 3", "Many hands make light work."),
        ]
    )

    answer = engine.answer(Prompt(system="", question="Should I leap now or look first?"))

    assert 'Sayings 2: "Look before you leap."' in answer


def test_a_french_corpus_is_quoted_without_calling_it_english():
    corpus = Corpus.from_pairs(
        [
            ("Proverbe 1", "Qui va à la chasse perd sa place."),
            ("Proverbe 2", "Petit à petit, l'oiseau fait son nid."),
        ],
        language="fr",
    )

    answer = OfflineEngine(corpus).answer(
        Prompt(system="", question="Comment l'oiseau fait-il son nid ?", language="fr")
    )

    assert "Proverbe 2" in answer and "Petit à petit" in answer
    assert "anglais" not in answer


def test_an_empty_corpus_is_refused():
    with pytest.raises(ValueError):
        OfflineEngine([])
