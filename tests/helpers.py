"""Small assertions shared by the tests."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from centre import languages
from centre.extensions import db
from ivr.driver import Turn


def row_counts(app: Flask) -> dict[str, int]:
    """Return the number of rows of every table."""
    with app.app_context():
        return {
            table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table)) or 0
            for table in db.metadata.sorted_tables
        }


def assert_spoken_in(turn: Turn, code: str) -> None:
    """Check every sentence of the turn is said in `code`'s voice and language."""
    language = languages.get(code)
    assert turn.said, "the caller hears nothing"
    for said in turn.said:
        assert (said.voice, said.language) == (language.voice, language.say_language), said


def walk_to_main_menu(phone, code: str) -> Turn:  # type: ignore[no-untyped-def]
    """Dial and choose `code` from the language menu; return the main menu's turn."""
    phone.dial()
    return phone.press(languages.get(code).digit)


def forms_of_number(value: str) -> set[str]:
    """Return the ways a phone number may be written in a log line (E.164, national, spaced...)."""
    import phonenumbers

    from centre import phones

    parsed = phones.parse(value)
    if parsed is None:  # not a number: only its raw text, if it is long enough to identify one
        digits = sum(c.isdigit() for c in value)
        return {value} if digits >= 8 else set()
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    national = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    spaced = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return {
        e164, e164[1:], "00" + e164[1:], "%2B" + e164[1:], spaced, national,
        "".join(c for c in national if c.isdigit()), str(parsed.national_number),
    }  # fmt: skip


def unmasked(texts: list[str], forbidden: set[str]) -> list[str]:
    """Return the log lines that carry one of the forbidden values (or any E.164 number)."""
    import re

    e164 = re.compile(r"(?<![\w*])(?:\+|%2[Bb])\d{8,15}(?!\d)")
    values = sorted((v for v in forbidden if v), key=len, reverse=True)
    return [text for text in texts if e164.search(text) or any(value in text for value in values)]
