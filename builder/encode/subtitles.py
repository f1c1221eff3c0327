"""WebVTT captions for a clip: what the persona says, timed to the audio."""

from __future__ import annotations

_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def webvtt(cues: list[tuple[float, float, str]]) -> str:
    """A WebVTT document for `(start, end, text)` cues, in seconds.

    Text is plain text, never markup: `&`, `<` and `>` are escaped, so a viewer's `<script>` or a
    stray `-->` cannot become a tag or a cue timing. Line breaks are kept but blank lines are
    dropped (a blank line would end the cue early). Cues are sorted; one that overlaps the next is
    cut to end where the next begins, and cues left empty or without duration are skipped.
    """
    kept = sorted(
        (_millis(start), _millis(end), payload)
        for start, end, text in cues
        if (payload := _payload(text)) and _millis(end) > _millis(start)
    )
    blocks = ["WEBVTT"]
    for i, (start, end, payload) in enumerate(kept):
        if i + 1 < len(kept):
            end = min(end, kept[i + 1][0])
        if end > start:  # two cues starting together: the first one gives way
            blocks.append(f"{_timestamp(start)} --> {_timestamp(end)}\n{payload}")
    return "\n\n".join(blocks) + "\n"


def _payload(text: str) -> str:
    lines = (line.strip() for line in text.replace("\r", "\n").split("\n"))
    return "\n".join(line.translate(_ESCAPES) for line in lines if line)


def _millis(seconds: float) -> int:
    if seconds < 0:
        raise ValueError(f"a cue cannot start or end before 0 s, got {seconds}")
    return round(seconds * 1000)


def _timestamp(millis: int) -> str:
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"
