"""A readable comparison of two versions, field by field: words struck out and words added.

Values are shown as the editor reads them: fees as money, dates and numbers in the page's
language, yes or no, languages by name.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext

from centre import languages
from centre.formatting import page_day, page_locale, page_money, page_number
from knowledge.models import CONDITION_NAMES, CURRENCY, FEE_KIND_NAMES

SAME, REMOVED, ADDED = "same", "removed", "added"
LANGUAGE_FIELDS = ("source_language",)


@dataclass(frozen=True)
class FieldDiff:
    """How one field changed: a list of (same | removed | added, text) pieces."""

    field: str
    pieces: tuple[tuple[str, str], ...]
    is_list: bool


def _kind(kind: Any) -> str:
    """Return who a fee is for, in words (an editor's own code as it is)."""
    return str(FEE_KIND_NAMES.get(kind, kind))


def _fee(fee: dict[str, Any]) -> str:
    amount = fee.get("amount_dh")
    money = page_money(amount, CURRENCY) if isinstance(amount, int) else str(amount)
    if not fee.get("checked_on"):
        return gettext("%(kind)s: %(amount)s", kind=_kind(fee.get("kind")), amount=money)
    try:
        checked = page_day(date.fromisoformat(str(fee["checked_on"])))
    except ValueError:
        checked = str(fee["checked_on"])
    return gettext(
        "%(kind)s: %(amount)s, checked on %(date)s",
        kind=_kind(fee.get("kind")),
        amount=money,
        date=checked,
    )


def _item(value: Any) -> str:
    """Return one list item as a line: a document with its condition, a fee, a term."""
    if isinstance(value, dict) and "text" in value:
        when = value.get("when")
        return (
            f"{value['text']} ({CONDITION_NAMES.get(when, when)})" if when else str(value["text"])
        )
    if isinstance(value, dict) and "kind" in value:
        return _fee(value)
    return str(value)


def _scalar(name: str, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, int | float):
        return page_number(value)
    if name in LANGUAGE_FIELDS and value in languages.BY_CODE:
        return languages.name_in(value, page_locale())
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
        elif isinstance(old, str) and isinstance(new, str) and name not in LANGUAGE_FIELDS:
            changes.append(FieldDiff(name, _pieces(old.split(), new.split()), False))
        else:
            pieces = ((REMOVED, _scalar(name, old)), (ADDED, _scalar(name, new)))
            changes.append(FieldDiff(name, pieces, False))
    return changes
