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
