"""Markdown, HTML/SSML, URLs and chat mentions removed from text that is about to be spoken.

Tags are dropped and their text kept; nothing in them is ever interpreted, so `<break time="3s"/>`
from a viewer cannot make the voice pause, and an escaped `&lt;speak&gt;` is unescaped first so it is
dropped like any tag. Fenced code blocks are dropped whole: code read aloud is noise. Inline code,
emphasis, headers, list and quote markers lose their markup and keep their words. A mention "@alice"
keeps the name, "alice", so "thanks @alice!" still reads as a sentence.

Every pattern here is linear: hostile input (thousands of "*" or "[") cannot make it backtrack.
"""

from __future__ import annotations

import html
import re

_FENCE = "```"
_HTML_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.DOTALL)
_TAG = re.compile(r"</?[A-Za-z!?][^<>]{0,2000}>")
_IMAGE = re.compile(r"!\[([^\[\]\n]{0,500})\]\([^()\s]{0,2000}(?:\s[^()]{0,200})?\)")
_LINK = re.compile(r"\[([^\[\]\n]{0,500})\]\([^()\s]{0,2000}(?:\s[^()]{0,200})?\)")
_REF_LINK = re.compile(r"\[([^\[\]\n]{1,500})\]\[[^\[\]\n]{0,100}\]")
_URL = re.compile(
    r"(?:\b(?:https?|ftp)://|\bwww\.)(?:[^\s<>\"'()\[\]]*[^\s<>\"'()\[\].,;:!?])?", re.IGNORECASE
)
_HEADER = re.compile(r"^[ \t]{0,3}#{1,6}[ \t]+", re.MULTILINE)
_RULE = re.compile(r"^[ \t]*(?:[-*_][ \t]*){3,}$", re.MULTILINE)
_BULLET = re.compile(r"^[ \t]*(?:[-*+•◦‣▪]|\d{1,3}[.)])[ \t]+", re.MULTILINE)
_QUOTE = re.compile(r"^[ \t]*(?:>[ \t]?)+", re.MULTILINE)
_TABLE_RULE = re.compile(
    r"^[ \t]*(?:\|[ \t]*)?:?-{2,}:?[ \t]*(?:\|[ \t]*:?-{2,}:?[ \t]*)*\|?[ \t]*$", re.MULTILINE
)
_MENTION = re.compile(r"(?<![\w@])@(\w{1,60})")
_HEART = re.compile(r"<3(?!\d)")
_HASHTAG = re.compile(r"(?<![\w#&])#([^\W\d_]\w{0,60})")


def drop_code_blocks(text: str) -> str:
    """Text between pairs of ``` fences is dropped; an unpaired fence is only a marker."""
    parts = text.split(_FENCE)
    if len(parts) == 1:
        return text
    kept = parts[0::2]
    if len(parts) % 2 == 0:  # the last fence opens nothing: keep what follows it
        kept.append(parts[-1])
    return "\n".join(kept)


def strip_markup(text: str) -> str:
    """HTML, Markdown, URLs and mention signs removed; the words they carried are kept."""
    text = _strip_html(text)
    text = drop_code_blocks(text)
    # Links before bare URLs (the label is what is said), and both before "_" and "*" are dropped.
    text = _IMAGE.sub(r"\1", text)
    text = _LINK.sub(r"\1", text)
    text = _REF_LINK.sub(r"\1", text)
    text = _URL.sub(" ", text)
    text = _HEADER.sub("", text)
    text = _RULE.sub("", text)
    text = _TABLE_RULE.sub("", text)
    text = _QUOTE.sub("", text)
    text = _BULLET.sub("", text)
    # Emphasis and code markers carry no words; "snake_case" reads better as two words anyway.
    text = text.replace("`", "").replace("*", "").replace("~~", "").replace("_", " ").replace("|", ", ")
    text = _MENTION.sub(r"\1", text)
    return _HASHTAG.sub(r"\1", text)


def _strip_html(text: str) -> str:
    # Unescape first: "&lt;speak&gt;" must not survive as a tag a speech engine would read.
    text = html.unescape(text) if "&" in text else text
    if "<" not in text:
        return text
    text = _HEART.sub(" ", text)
    text = _HTML_COMMENT.sub(" ", text)
    text = _TAG.sub(" ", text)
    return text.replace("<", " ").replace(">", " ")
