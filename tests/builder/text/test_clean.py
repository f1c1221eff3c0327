"""Clean-up for speech on hostile and messy text: what reaches the voice is only words."""

import random
import time

import pytest

from builder.text.clean import clean_for_speech


def test_it_strips_rtl_overrides_and_isolates():
    assert clean_for_speech("Hello \u202egnitirw\u202c and \u2066hidden\u2069 text") == (
        "Hello gnitirw and hidden text"
    )


def test_it_strips_zero_width_characters_that_split_words():
    assert clean_for_speech("ba\u200bd wo\u200drd\u200c here\ufeff\u2060 now\u00ad") == "bad word here now"


def test_it_strips_control_characters_and_unpaired_surrogates():
    assert clean_for_speech("Hel\x00lo\x07 wor\x1bld\ud800 \x9bagain") == "Hello world again"


def test_it_unescapes_entities_before_stripping_what_they_hide():
    assert clean_for_speech("&lt;speak&gt;Hi&lt;/speak&gt; &#8238;there") == "Hi there"


def test_it_drops_ssml_tags_without_interpreting_them():
    assert clean_for_speech('<speak><break time="3s"/></speak>') == ""
    assert clean_for_speech('<speak>Hello <prosody rate="x-slow">friend</prosody></speak>') == "Hello friend"


def test_it_drops_html_tags_and_keeps_their_text():
    assert clean_for_speech("<script>alert(1)</script><b>Hi</b> <!-- secret --> there") == (
        "alert(one) Hi there"
    )


def test_it_removes_every_kind_of_emoji():
    text = "👨‍👩‍👧‍👦 Family 👍🏽 time 🇫🇷 flags 🏴󠁧󠁢󠁳󠁣󠁴󠁿 1️⃣ ❤️ love ✨"
    assert clean_for_speech(text) == "Family time flags love"


def test_an_emoji_flood_leaves_nothing_and_stays_fast():
    # CPU time of this thread: what the cleaning costs, whatever else the machine is running.
    started = time.thread_time()
    assert clean_for_speech("😂🔥💯" * 3000) == ""
    assert time.thread_time() - started < 0.1


def test_it_caps_a_10k_message_at_a_sentence_end_and_stays_fast():
    message = "This is a sentence about faith and hope. " * 250
    clean_for_speech(message)  # warm-up: the first call compiles nothing, but fills caches
    started = time.thread_time()  # CPU time, as above
    spoken = clean_for_speech(message, max_chars=1200)
    elapsed = time.thread_time() - started
    assert len(message) == 10_250
    assert 600 <= len(spoken) <= 1200
    assert spoken.endswith("faith and hope.")
    assert elapsed < 0.05  # the aim is a few milliseconds; the bound leaves room for a slow CI machine


def test_the_cap_falls_back_to_a_word_boundary_never_mid_word():
    spoken = clean_for_speech("abcdefghij " * 30, max_chars=25)
    assert spoken == "abcdefghij abcdefghij"


def test_a_single_word_longer_than_the_cap_is_dropped_not_cut():
    assert clean_for_speech("abcdefghij" * 5, max_chars=20) == ""


def test_it_strips_markdown_and_keeps_the_words():
    text = "# Title\n\nSome **bold**, _italic_ and `code`.\n\n- item one\n- item two\n\n> quoted\n\nDone"
    assert clean_for_speech(text) == "Title. Some bold, italic and code. item one. item two. quoted. Done"


def test_it_drops_fenced_code_blocks():
    assert clean_for_speech("Look:\n```python\nprint('x')\n```\nThat is all.") == "Look: That is all."


def test_it_keeps_link_labels_and_drops_urls():
    text = "See [the docs](https://example.com/docs) or https://evil.example/x?y=1. Also www.foo.org!"
    assert clean_for_speech(text) == "See the docs or. Also!"


def test_it_keeps_mentioned_names_without_the_at_sign():
    assert clean_for_speech("Thanks @alice and @bob_smith! #blessed") == "Thanks alice and bob smith! blessed"


def test_it_reads_an_email_address_with_at():
    assert clean_for_speech("Write to bob@example.com") == "Write to bob at example.com"


def test_it_normalises_quotes_dashes_and_ellipses():
    text = "It\u2019s \u201cquoted\u201d \u2014 really\u2026 yes \u2013 no"
    assert clean_for_speech(text) == 'It\'s "quoted", really... yes, no'


def test_it_folds_lookalike_letters():
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in "Hello")
    bold = "\U0001d407\U0001d41e\U0001d425\U0001d425\U0001d428"  # mathematical bold "Hello"
    assert clean_for_speech(f"{full_width} {bold} \ufb01ne") == "Hello Hello fine"


def test_it_removes_stacked_combining_marks():
    assert clean_for_speech("Z̷̢̛̛a̸̧l̴g̵o̶ text, café") == "Zalgo text, café"


def test_it_tames_repeated_punctuation_and_letters():
    assert clean_for_speech("Wow!!!!!! Really????? Soooooo gooood.....") == "Wow! Really? Sooo goood..."


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "\x00\x01", "***", "<><>", "```", "[](http://x)"])
def test_text_with_nothing_to_say_becomes_empty(text):
    assert clean_for_speech(text) == ""


def test_it_never_raises_on_random_unicode():
    rng = random.Random(1234)
    pools = [range(0, 0x250), range(0x2000, 0x2BFF), range(0xD800, 0xE000), range(0x1F000, 0x1FAFF)]
    specials = [*"<>&#@$€%°:./-_*`[]()0123456789 \n", "&#", "```", "1st", "12/25/2024", "Dr."]
    for _ in range(300):
        parts = []
        for _ in range(rng.randint(0, 60)):
            if rng.random() < 0.5:
                parts.append(rng.choice(specials))
            else:
                parts.append(chr(rng.choice(rng.choice(pools))))
        text = "".join(parts)
        for language in ("en", "fr", "de"):
            spoken = clean_for_speech(text, language, max_chars=80)
            assert isinstance(spoken, str) and len(spoken) <= 80


def test_it_accepts_a_non_string_without_raising():
    assert clean_for_speech(None) == ""  # type: ignore[arg-type]
    assert clean_for_speech(42) == "forty-two"  # type: ignore[arg-type]


def test_other_languages_are_cleaned_but_their_numbers_kept():
    assert clean_for_speech("Ich habe 5 Äpfel 🍎 und 50%!", "de") == "Ich habe 5 Äpfel und 50%!"


def test_a_french_language_tag_with_a_region_is_french():
    assert clean_for_speech("J'ai 21 ans.", "fr-CA") == "J'ai vingt et un ans."
