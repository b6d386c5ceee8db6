"""Small assertions shared by the tests."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

import sqlalchemy as sa
from flask import Flask

from centre import languages
from centre.extensions import db
from ivr.driver import Turn
from tickets.models import Ticket


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


def csrf_token(client, path: str = "/staff/login") -> str:  # type: ignore[no-untyped-def]
    """Return the CSRF token of the form on `path` for this client's session."""
    page = client.get(path, follow_redirects=True).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, f"no form on {path}"
    return unescape(match.group(1))


def log_in(client, email: str, password: str, next_path: str = ""):  # type: ignore[no-untyped-def]
    """Submit the login form as a person would; return the response."""
    token = csrf_token(client)
    return client.post(
        "/staff/login",
        data={"csrf_token": token, "email": email, "password": password, "next": next_path},
    )


def post_form(client, path: str, data: dict[str, str], page: str | None = None):  # type: ignore[no-untyped-def]
    """Post `data` to `path` with the CSRF token of the page the form is on."""
    return client.post(path, data={"csrf_token": csrf_token(client, page or path), **data})


def ticket_version(app: Flask, ticket_id: int) -> str:
    """Return the ticket's version as its page shows it."""
    with app.app_context():
        found = db.session.get(Ticket, ticket_id)
        assert found is not None
        return str(found.version)


def post_on_ticket(
    app: Flask, client, ticket_id: int, action: str, fields: dict[str, str] | None = None
):  # type: ignore[no-untyped-def]
    """Post one of a ticket page's forms (`save`, `assign`, `call-back`...) from the version it shows."""
    data = {"version": ticket_version(app, ticket_id), **(fields or {})}
    return post_form(client, f"/tickets/{ticket_id}/{action}", data, page=f"/tickets/{ticket_id}")


def resolve_on_desk(app: Flask, client, ticket_id: int, note: str, share: bool = False):  # type: ignore[no-untyped-def]
    """Resolve the ticket through its page's form, `note` its resolution, shared with the caller or not."""
    fields = {"status": "resolved", "note": note}
    if share:
        fields["share"] = "1"
    return post_on_ticket(app, client, ticket_id, "save", fields)


def add_notice(
    runner, *options: str, starts: str = "2026-12-01T08:00", ends: str = "2026-12-08T08:00"
):  # type: ignore[no-untyped-def]
    """Run `flask notices add` for the week from `starts` to `ends` with `options`; return the result."""
    return runner.invoke(args=["notices", "add", "--starts", starts, "--ends", ends, *options])


def table_contents(app: Flask) -> dict[str, dict[tuple[object, ...], str]]:
    """Return every row of every table, keyed by table name then primary key (values as text)."""
    with app.app_context():
        found = {}
        for table in db.metadata.sorted_tables:
            rows = db.session.execute(sa.select(table)).mappings()
            found[table.name] = {
                tuple(row[column.name] for column in table.primary_key): repr(dict(row))
                for row in rows
            }
        db.session.rollback()
        return found


class _InlineCode(HTMLParser):
    """Collect what a CSP without 'unsafe-inline' blocks: inline scripts, handlers, styles."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=...>")
            elif name == "style":
                self.found.append(f"<{tag} style=...>")
            elif (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}=javascript:...>")
        if tag == "script":
            self.in_script = True
            if not dict(attrs).get("src"):
                self.found.append("<script> without src")
        elif tag == "style":
            self.found.append("<style>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self.in_script = False

    def handle_data(self, data: str) -> None:
        if self.in_script and data.strip():
            self.found.append(f"inline script: {data.strip()[:40]!r}")


def inline_code(page: str) -> list[str]:
    """Return the inline scripts, event handlers and styles of an HTML page (CSP blocks them)."""
    parser = _InlineCode()
    parser.feed(page)
    parser.close()
    return parser.found


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
        e164,
        e164[1:],
        "00" + e164[1:],
        "%2B" + e164[1:],
        spaced,
        national,
        "".join(c for c in national if c.isdigit()),
        str(parsed.national_number),
    }


def unmasked(texts: list[str], forbidden: set[str]) -> list[str]:
    """Return the log lines that carry one of the forbidden values (or any E.164 number)."""
    import re

    e164 = re.compile(r"(?<![\w*])(?:\+|%2[Bb])\d{8,15}(?!\d)")
    values = sorted((v for v in forbidden if v), key=len, reverse=True)
    return [text for text in texts if e164.search(text) or any(value in text for value in values)]


def audit_rows(page: str) -> list[tuple[str, str, str, str]]:
    """Return the audit table's rows as (who, what, about, what changed), in words, newest first."""
    rows = re.findall(r"<tr><td>.*?</tr>", page, re.S)
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S) for row in rows]

    def words(html: str) -> str:
        return " ".join(re.sub(r"<[^>]+>", " ", html).split())

    return [(words(c[1]), words(c[2]), words(c[3]), words(c[4])) for c in cells]
