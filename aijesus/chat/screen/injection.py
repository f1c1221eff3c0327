"""Signs that a message tries to talk to the answering model instead of asking it something.

The answerer already receives chat text as quoted data, never as instructions (see
builder/llm/prompting.py); this check exists so that a moderator sees such attempts and the
auto-approve mode never sends one on by itself. Patterns run on folded text (no zero-width
tricks, no look-alike letters) with runs of spaces collapsed.
"""

from __future__ import annotations

import re

# (what it attempts, words or characters one of which must be present, the pattern). The cheap
# first test keeps a flood of ordinary questions from running every pattern.
_PATTERNS: list[tuple[str, frozenset[str], re.Pattern[str]]] = [
    (
        "asks to ignore its instructions",
        frozenset(("ignore", "disregard", "forget", "override", "bypass", "skip", "drop")),
        re.compile(
            r"\b(ignore|disregard|forget|override|bypass|skip|drop)\b[^.?!]{0,40}?"
            r"\b(previous|prior|above|earlier|preceding|all|any|your|the|these|those|system|initial|original)\b"
            r"[^.?!]{0,30}?\b(instruction|prompt|rule|direction|guideline|command|context|message|guardrail)s?\b"
        ),
    ),
    (
        "talks about the system prompt",
        frozenset(("prompt", "prompts", "instruction", "instructions", "message")),
        re.compile(
            r"\b(system|developer|hidden|initial|original)\s*(prompt|message|instruction)s?\b"
            r"|\b(reveal|show|print|repeat|leak|tell me)\b[^.?!]{0,30}\b(prompt|instructions)\b"
        ),
    ),
    (
        "tries to give the model a new role",
        frozenset(
            (
                "now",
                "longer",
                "new",
                "jailbreak",
                "jailbroken",
                "dan",
                "developer",
                "anything",
                "god",
                "pretend",
            )
        ),
        re.compile(
            r"\byou are (now|no longer)\b|\bfrom now on,? you\b|\bnew (instructions|rules|persona)\b"
            r"|\b(jailbreak|jailbroken|dan mode|developer mode|do anything now|god mode)\b"
            r"|\bpretend (that )?you (are|have) no (rules|restrictions|filter)"
        ),
    ),
    (
        "contains a fake chat-format tag",
        frozenset(("<", "[", "#", ":", "{")),
        re.compile(
            r"<\|?\s*(im_start|im_end|system|assistant|user|endoftext|eot_id|start_header_id)\s*\|?>"
            r"|\[/?\s*(inst|sys|system)\s*\]|<</?\s*sys\s*>>|<\s*/?\s*(system|instructions?|assistant)\s*>"
            r"|(^|\s)#{2,}\s*(system|instruction|assistant)\b|(^|\n)\s*(system|assistant)\s*:"
            r"|\{\s*\"role\"\s*:"
        ),
    ),
]
_SPACES = re.compile(r"\s+")


def find(folded: str, folded_words: list[str] | None = None) -> str | None:
    """What the message seems to attempt, e.g. "asks to ignore its instructions", or None."""
    present = set(folded_words if folded_words is not None else re.findall(r"\w+", folded))
    line = None
    for label, needed, pattern in _PATTERNS:
        if present.isdisjoint(needed) and not any(mark in folded for mark in needed if not mark.isalnum()):
            continue
        line = line or _SPACES.sub(" ", folded)
        if pattern.search(line):
            return label
    return None
