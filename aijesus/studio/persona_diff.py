"""A readable difference between two persona versions, field by field, line by line.

The result is plain data (field label, then lines tagged added / removed / same); the template
renders it with autoescaping, so a hostile prompt or name shows as text.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from aijesus.studio.models import Avatar, PersonaVersion
from aijesus.studio.models.persona import VERSIONED_FIELDS

LABELS = {
    "name": "Name",
    "system_prompt": "System prompt",
    "language": "Language",
    "llm": "LLM settings",
    "voice": "Voice settings",
    "banned_words": "Banned words",
    "avatar_id": "Avatar",
}
# Settings hold no secrets, but a value under a key like these never reaches a page regardless.
_SECRET_KEY = re.compile(r"key|token|secret|password", re.IGNORECASE)
CONTEXT_LINES = 2


@dataclass
class FieldDiff:
    label: str
    lines: list[tuple[str, str]] = field(default_factory=list)  # ("add" | "del" | "same" | "gap", text)


def _redacted(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: "(hidden)" if _SECRET_KEY.search(str(k)) else _redacted(v) for k, v in value.items()}
    return value


def _avatar_name(avatar_id: Any, names: dict[int, str]) -> str:
    if avatar_id is None:
        return "built-in"
    return names.get(avatar_id, f"#{avatar_id} (deleted)")


def as_lines(key: str, value: Any, avatar_names: dict[int, str]) -> list[str]:
    if key == "avatar_id":
        return [_avatar_name(value, avatar_names)]
    if isinstance(value, dict | list):
        return json.dumps(_redacted(value), indent=2, sort_keys=True, ensure_ascii=False).splitlines()
    return str(value if value is not None else "").splitlines()


def _tagged(old: list[str], new: list[str]) -> list[tuple[str, str]]:
    lines: list[tuple[str, str]] = []
    groups = difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_grouped_opcodes(CONTEXT_LINES)
    for number, group in enumerate(groups):
        if number:
            lines.append(("gap", "…"))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines.extend(("same", line) for line in old[i1:i2])
                continue
            lines.extend(("del", line) for line in old[i1:i2])
            lines.extend(("add", line) for line in new[j1:j2])
    return lines


def version_diff(old: dict[str, Any] | None, new: dict[str, Any]) -> list[FieldDiff]:
    """What changed from `old` to `new` (version snapshots); `old` None: everything is new."""
    keys = (*VERSIONED_FIELDS, "avatar_id")
    ids = {v for v in ((old or {}).get("avatar_id"), new.get("avatar_id")) if v is not None}
    names = dict(Avatar.objects.filter(pk__in=ids).values_list("pk", "name"))
    diffs = []
    for key in keys:
        before = as_lines(key, old.get(key), names) if old is not None else []
        after = as_lines(key, new.get(key), names)
        if before != after:
            diffs.append(FieldDiff(LABELS[key], _tagged(before, after)))
    return diffs


def diff_against_previous(version: PersonaVersion) -> tuple[PersonaVersion | None, list[FieldDiff]]:
    previous = (
        PersonaVersion.objects.filter(persona_id=version.persona_id, number__lt=version.number)
        .order_by("-number")
        .first()
    )
    return previous, version_diff(previous.data if previous else None, version.data)
