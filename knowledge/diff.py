"""A readable comparison of two versions, field by field: words struck out and words added."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

SAME, REMOVED, ADDED = "same", "removed", "added"


@dataclass(frozen=True)
class FieldDiff:
    """How one field changed: a list of (same | removed | added, text) pieces."""

    field: str
    pieces: tuple[tuple[str, str], ...]
    is_list: bool


def _item(value: Any) -> str:
    """Return one list item as a line: a document with its condition, a fee, a term."""
    if isinstance(value, dict) and "text" in value:
        return f"{value['text']} [{value['when']}]" if value.get("when") else str(value["text"])
    if isinstance(value, dict) and "kind" in value:
        checked = f" ({value['checked_on']})" if value.get("checked_on") else ""
        return f"{value['kind']}: {value['amount_dh']} DH{checked}"
    return str(value)


def _scalar(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "✓" if value else "✗"
    return str(value)


def _pieces(before: Sequence[str], after: Sequence[str]) -> tuple[tuple[str, str], ...]:
    pieces: list[tuple[str, str]] = []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            pieces.extend((SAME, x) for x in before[a1:a2])
            continue
        pieces.extend((REMOVED, x) for x in before[a1:a2])
        pieces.extend((ADDED, x) for x in after[b1:b2])
    return tuple(pieces)


def compare(
    before: dict[str, Any], after: dict[str, Any], fields: Sequence[str]
) -> list[FieldDiff]:
    """Return the fields that differ between two versions, each as a word or item diff."""
    changes = []
    for name in fields:
        old, new = before.get(name), after.get(name)
        if old == new:
            continue
        if isinstance(old, list) or isinstance(new, list):
            pieces = _pieces([_item(x) for x in old or []], [_item(x) for x in new or []])
            changes.append(FieldDiff(name, pieces, True))
        elif isinstance(old, str) and isinstance(new, str):
            changes.append(FieldDiff(name, _pieces(old.split(), new.split()), False))
        else:
            changes.append(FieldDiff(name, ((REMOVED, _scalar(old)), (ADDED, _scalar(new))), False))
    return changes
