"""The fault matrix as a markdown table (docs/benchmarks.md)."""

from __future__ import annotations

from typing import Any

COLUMNS = [
    ("approved", "approved"),
    ("aired_once", "aired once"),
    ("aired_twice", "aired twice (goal 0)"),
    ("counted_unheard", "counted, not heard (goal 0)"),
    ("failed_with_reason", "failed, with reason"),
    ("stuck", "stuck (goal 0)"),
    ("recover_s", "recover, s"),
]


def markdown(rows: list[dict[str, Any]]) -> str:
    head = "| fault | " + " | ".join(title for _, title in COLUMNS) + " | notes |"
    lines = [head, "|" + "---|" * (len(COLUMNS) + 2)]
    for row in rows:
        if "error" in row:
            cells = ["—"] * len(COLUMNS)
            note = f"row failed: {row['error'][:120]}"
        elif "skipped" in row:
            cells = ["—"] * len(COLUMNS)
            note = f"skipped: {row['skipped']}"
        else:
            cells = [_cell(row.get(key)) for key, _ in COLUMNS]
            note = _note(row)
        lines.append(f"| {row['fault']} | " + " | ".join(cells) + f" | {note} |")
    return "\n".join(lines)


def _cell(value: Any) -> str:
    return "—" if value in (None, "n/a") else str(value)


def _note(row: dict[str, Any]) -> str:
    notes = list(row.get("notes") or [])
    if row.get("in_progress"):
        notes.append(f"{row['in_progress']} still in progress")
    if (row.get("broadcasting_together_s") or 0) >= 0.5:
        notes.append(f"two streamers broadcasting at once for {row['broadcasting_together_s']} s")
    if row.get("heard_whole_twice"):
        notes.append(f"{row['heard_whole_twice']} heard whole twice")
    if row.get("takeover_s") is not None:
        notes.append(f"takeover {row['takeover_s']} s")
    elif "takeover_s" in row:
        notes.append("no takeover")
    for key, text in (("note", None), ("disk", None)):
        if row.get(key):
            notes.append(str(row[key]) if text is None else text)
    if row.get("processes_exited"):
        notes.append("exited: " + ", ".join(f"{k} ({v})" for k, v in row["processes_exited"].items()))
    return "; ".join(notes)
