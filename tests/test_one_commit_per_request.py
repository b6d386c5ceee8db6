"""A staff page's request ends with one commit, or none: views flush, the request commits.

A page that only reads commits nothing; a change commits once, at the end; a refused form
leaves nothing behind; a refused access keeps its audit entry.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask
from helpers import post_form
from sqlalchemy.orm import Session

from centre.extensions import db
from staff.models import AuditEntry, StaffUser


@pytest.fixture
def commits() -> Iterator[list[int]]:
    """Count the commits of every session while the test runs."""
    counted: list[int] = []

    def count(session: Session) -> None:
        counted.append(1)

    sa.event.listen(Session, "after_commit", count)
    yield counted
    sa.event.remove(Session, "after_commit", count)


def _user(app: Flask, user_id: int) -> StaffUser:
    with app.app_context():
        user = db.session.get(StaffUser, user_id)
        assert user is not None
        db.session.expunge(user)
        return user


def _refusals(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(
            sa.select(sa.func.count()).where(AuditEntry.action == "access.refused")
        )


def test_a_page_that_only_reads_commits_nothing(app, log_in, commits):
    client = log_in("admin")
    commits.clear()
    for path in ("/staff/account", "/staff/users", "/staff/audit"):
        assert client.get(path).status_code == 200
    assert commits == []


def test_a_change_is_committed_once_at_the_end_of_its_request(app, log_in, commits):
    client = log_in("agent", "fr")
    token_page = client.get("/staff/account")  # the form, read before counting
    assert token_page.status_code == 200
    commits.clear()
    answer = post_form(
        client, "/staff/account", {"action": "preferences", "locale": "ar", "phone": ""}
    )
    assert answer.status_code == 302
    # post_form reads the form page first: that GET commits nothing, the POST once.
    assert commits == [1]
    assert _user(app, client.member.id).locale == "ar"


def test_a_refused_form_leaves_nothing_behind(app, log_in, commits):
    client = log_in("agent", "fr", locale="en")
    before = _user(app, client.member.id).password_hash
    commits.clear()
    answer = post_form(
        client,
        "/staff/account",
        {"action": "password", "current": "wrong", "new": "a much longer new password 2026"},
    )
    assert answer.status_code == 200
    assert "current password is wrong" in answer.get_data(as_text=True)
    assert commits == []
    assert _user(app, client.member.id).password_hash == before


def test_a_refused_access_keeps_its_audit_entry_in_one_commit(app, log_in, commits):
    client = log_in("agent", "fr")
    before = _refusals(app)
    commits.clear()
    assert client.get("/staff/users").status_code == 403
    assert commits == [1]
    assert _refusals(app) == before + 1


def test_a_password_change_and_the_new_session_are_one_commit(app, log_in, commits):
    client = log_in("agent", "fr")
    before = _user(app, client.member.id).password_hash
    commits.clear()
    answer = post_form(
        client,
        "/staff/account",
        {
            "action": "password",
            "current": client.member.password,
            "new": "a much longer new password 2026",
        },
    )
    assert answer.status_code == 302
    assert commits == [1]  # the password, the other sessions ended and this one begun, together
    assert _user(app, client.member.id).password_hash != before
    assert client.get("/staff/account").status_code == 200  # still logged in
