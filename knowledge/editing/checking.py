"""The editors' work on the guide: checking what editors send."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext

from centre.formatting import too_long
from centre.plaintext import unsafe_character
from knowledge.editing.base import FIELD_NAMES, LIMITS, TEXT_FIELDS, EditRefused


def _refuse_long(text: str, limit: int | None, name: str) -> str:
    """Refuse text over its limit: cutting it would lose what the editor typed without a word."""
    if limit and len(text) > limit:
        raise EditRefused(f"{FIELD_NAMES.get(name, name)}: {too_long(limit, len(text))}")
    return text


def _text(value: Any, limit: int | None = None, name: str = "") -> str:
    text = "" if value is None else str(value)
    text = "\n".join(line.strip() for line in text.strip().splitlines())
    return _refuse_long(text, limit, name)


def _terms(value: Any, name: str) -> list[str]:
    items = value if isinstance(value, list) else str(value or "").splitlines()
    terms: list[str] = []
    for item in items:
        term = _refuse_long(" ".join(str(item).split()), LIMITS["term"], name)
        if term and term.lower() not in (t.lower() for t in terms):
            terms.append(term)
    return terms


def clean_text(values: dict[str, Any]) -> dict[str, Any]:
    """Return the text fields tidied (spaces, empty lines and rows dropped); refuse a bad one."""
    cleaned: dict[str, Any] = {
        name: _text(values.get(name), LIMITS.get(name), name)
        for name in TEXT_FIELDS
        if name not in ("documents", "keywords", "synonyms", "examples")
    }
    documents = []
    for item in values.get("documents") or []:
        text = _text(item.get("text"))
        when = _text(item.get("when"), LIMITS["when"], "documents") or None
        if text:
            documents.append({"text": text, "when": when})
    cleaned["documents"] = documents
    cleaned["keywords"] = _terms(values.get("keywords"), "keywords")
    cleaned["synonyms"] = _terms(values.get("synonyms"), "synonyms")
    cleaned["examples"] = _terms(values.get("examples"), "examples")
    _refuse_controls(cleaned)
    if not cleaned["title"]:
        raise EditRefused(gettext("The title is required."))
    if not cleaned["summary"]:
        raise EditRefused(gettext("The spoken summary is required."))
    return cleaned


def _refuse_controls(cleaned: dict[str, Any]) -> None:
    """Refuse a field holding a control character: it would break every call that says it."""
    for name, value in cleaned.items():
        values = value if isinstance(value, list) else [value]
        for item in values:
            texts = item.values() if isinstance(item, dict) else [item]
            for text in texts:
                character = unsafe_character(text or "", multiline=True)
                if character is not None:
                    raise EditRefused(
                        gettext(
                            "%(field)s contains an invisible control character (%(code)s): remove it.",
                            field=FIELD_NAMES.get(name, name),
                            code=f"U+{ord(character):04X}",
                        )
                    )
