"""webvtt: captions as plain text that no viewer can turn into markup."""

from __future__ import annotations

import pytest

from builder.encode.subtitles import webvtt


def test_cues_are_timed_in_hours_minutes_seconds_and_milliseconds():
    text = webvtt([(0, 1.5, "Peace be with you."), (3723.0, 3725.25, "Again.")])
    assert text == (
        "WEBVTT\n\n"
        "00:00:00.000 --> 00:00:01.500\nPeace be with you.\n\n"
        "01:02:03.000 --> 01:02:05.250\nAgain.\n"
    )


def test_no_cues_is_an_empty_but_valid_file():
    assert webvtt([]) == "WEBVTT\n"


def test_hostile_text_cannot_become_markup_or_a_cue_timing():
    text = webvtt([(0, 1, "<script>alert('x')</script> & <b>bold</b> --> 00:00:09.000")])
    lines = text.splitlines()
    assert lines[3] == (
        "&lt;script&gt;alert('x')&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt; --&gt; 00:00:09.000"
    )
    assert [line for line in lines if "-->" in line] == ["00:00:00.000 --> 00:00:01.000"]
    assert "<" not in text and ">" not in text.replace(" --> ", "")


def test_an_already_escaped_entity_is_escaped_again_so_it_shows_as_typed():
    assert "&amp;lt;3" in webvtt([(0, 1, "&lt;3")])


def test_a_blank_line_in_the_text_cannot_end_the_cue_early():
    text = webvtt([(0, 1, "first\n\n\r\nsecond\n00:00:05.000 --> 00:00:06.000\nsmuggled")])
    assert text.count("\n\n") == 1  # only the one after the header
    assert "first\nsecond\n" in text


def test_overlapping_cues_are_cut_where_the_next_begins():
    text = webvtt([(2.0, 4.0, "two"), (0.0, 2.5, "one")])
    assert "00:00:00.000 --> 00:00:02.000\none" in text
    assert "00:00:02.000 --> 00:00:04.000\ntwo" in text


def test_empty_and_zero_length_cues_are_left_out():
    text = webvtt([(0, 1, "  "), (1, 1, "instant"), (1, 2, "kept")])
    assert text == "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nkept\n"


def test_a_negative_time_is_refused():
    with pytest.raises(ValueError, match="before 0"):
        webvtt([(-0.5, 1, "early")])
