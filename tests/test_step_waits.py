"""How often a call's step waits on PostgreSQL: its reads without BEGIN, its one write alone.

A main-menu step reads the call's row and writes it back in one guarded statement: two waits,
no BEGIN or COMMIT. The guide's menus too, once a worker has read the guide: its revision comes
with the call's row, its topics and their services from the worker's cache under it. A step that writes more (the caller's language remembered) keeps one
transaction for all of it. A connection handed back to the pool begins transactions again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from helpers import walk_to_main_menu
from psycopg._connection_base import BaseConnection

from centre.extensions import db
from centre.transactions import FINAL_WRITE, WriteAfterFinalWrite, reads_outside_transactions
from ivr.models import Call, CallerPreference, CallEvent
from tickets.models import Ticket


@pytest.fixture(autouse=True)
def _postgresql_only(app: Any) -> None:
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("waits on a server are PostgreSQL's (TEST_DATABASE_URL)")


@contextmanager
def waits(app: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    """Count what psycopg sends PostgreSQL meanwhile: statements, BEGIN, COMMIT, ROLLBACK."""
    sent: Counter[str] = Counter()
    execute = psycopg.Cursor.execute

    def statement(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        text = query if isinstance(query, str) else str(query)
        sent[text.split(None, 1)[0].upper()] += 1
        if text.upper().startswith("SELECT") and "caller_preferences" in text:
            sent["SELECT caller_preferences"] += 1
        return execute(self, query, *args, **kwargs)

    exec_command = BaseConnection._exec_command

    def command(self: Any, text: Any, *args: Any, **kwargs: Any) -> Any:
        raw = text if isinstance(text, bytes) else str(text).encode()
        sent[raw.split(None, 1)[0].decode().upper()] += 1
        return exec_command(self, text, *args, **kwargs)

    monkeypatch.setattr(psycopg.Cursor, "execute", statement)
    monkeypatch.setattr(BaseConnection, "_exec_command", command)
    try:
        yield sent
    finally:
        monkeypatch.undo()


def _call(app: Any, call_sid: str) -> tuple[Call, list[str]]:
    with app.app_context():
        row = db.session.scalar(sa.select(Call).where(Call.call_sid == call_sid))
        assert row is not None
        db.session.expunge(row)
        path = db.session.scalars(
            sa.select(CallEvent.to_node).where(CallEvent.call_id == row.id).order_by(CallEvent.step)
        )
        return row, list(path)


def test_a_main_menu_step_reads_and_writes_with_no_begin_or_commit(app, call, monkeypatch):
    phone = call()
    walk_to_main_menu(phone, "en")
    before, path_before = _call(app, phone.call_sid)
    with waits(app, monkeypatch) as sent:
        turn = phone.press("*")
    assert "To speak to an agent, press 0." in turn.text
    assert sent == {"SELECT": 1, "WITH": 1}  # the row read, the row and its event written
    after, path = _call(app, phone.call_sid)
    assert after.step == before.step + 1
    assert path == [*path_before, "main"]


def test_a_guide_menu_step_waits_as_a_main_menu_step(app, guide, call, monkeypatch):
    phone = call()
    walk_to_main_menu(phone, "en")
    phone.press("1")  # the guide's menu: this worker reads the guide's topics
    with waits(app, monkeypatch) as sent:
        turn = phone.press("*")
    assert "Consular guide." in turn.text and "press 1" in turn.text
    assert sent == {"SELECT": 1, "WITH": 1}  # the row with the guide's revision, the row written
    phone.press("1")  # the first topic: this worker reads its services
    with waits(app, monkeypatch) as sent:
        topic = phone.press("*")
    assert "To return to the guide, press 9." in topic.text
    assert sent == {"SELECT": 1, "WITH": 1}
    _, path = _call(app, phone.call_sid)
    assert path[-4:] == ["guide", "guide", "guide_category", "guide_category"]


def test_a_new_call_is_one_statement(app, call, monkeypatch):
    phone = call()
    with waits(app, monkeypatch) as sent:
        turn = phone.dial()
    assert "English" in turn.text
    assert sent == {"INSERT": 1}
    row, _ = _call(app, phone.call_sid)
    assert row.node == "language"


def test_a_step_that_writes_more_than_its_row_keeps_one_transaction(app, call, monkeypatch):
    phone = call()
    phone.dial()
    with waits(app, monkeypatch) as sent:
        phone.press("7")  # English, remembered for the caller's next call
    # The language remembered in one upsert, the step's row and event in one statement (the
    # SELECTs are the row's and the worker's first reads of the calendar and notices).
    writes = {key: count for key, count in sent.items() if key != "SELECT"}
    assert writes == {"BEGIN": 1, "INSERT": 1, "WITH": 1, "COMMIT": 1}  # not read first
    row, path = _call(app, phone.call_sid)
    assert row.language == "en" and len(path) == 1  # the step and its event, stored
    with app.app_context():
        assert db.session.get(CallerPreference, row.caller_hash).language == "en"
    again = call(caller=phone.caller)  # the same caller, next time: French this time
    walk_to_main_menu(again, "fr")
    row, _ = _call(app, again.call_sid)
    with app.app_context():
        preference = db.session.get(CallerPreference, row.caller_hash)
        assert (row.language, preference.language) == ("fr", "fr")


def test_a_step_delivered_twice_still_acts_once(app, call):
    phone = call()
    walk_to_main_menu(phone, "en")
    _, path_before = _call(app, phone.call_sid)
    action = phone.turn.gather["action"]
    first = phone.request(action, Digits="*")
    again = phone.request(action, Digits="*")  # Twilio retried: the call has moved on
    assert first.text == again.text
    _, path = _call(app, phone.call_sid)
    assert path == [*path_before, "main"]


def test_a_write_after_the_final_write_is_refused(app):
    update = sa.update(CallerPreference).values(language="fr")
    with app.test_request_context():
        connection = db.session.connection()
        with reads_outside_transactions():
            connection.execute(update, execution_options={FINAL_WRITE: True})
            with pytest.raises(WriteAfterFinalWrite):
                connection.execute(update)
            connection.execute(sa.select(CallerPreference.language))  # reading is still fine
        db.session.rollback()


def test_the_pool_gets_back_connections_that_begin_transactions(app, call):
    phone = call()
    walk_to_main_menu(phone, "en")
    phone.press("*")
    with app.app_context():
        dbapi = db.session.connection().connection.dbapi_connection
        assert dbapi is not None and dbapi.autocommit is False
        db.session.rollback()


def test_a_status_callback_is_one_read_and_one_write(app, call, monkeypatch):
    phone = call()
    walk_to_main_menu(phone, "en")
    with waits(app, monkeypatch) as sent:
        assert phone.hang_up() == 200
    assert sent == {"SELECT": 1, "UPDATE": 1}  # the row, then the guarded UPDATE, committing itself
    with waits(app, monkeypatch) as again:
        assert phone.hang_up() == 200  # Twilio retried: the call has ended, nothing is written
    assert again == {"SELECT": 1}
    row, _ = _call(app, phone.call_sid)
    assert (row.status, row.outcome, row.duration) == ("completed", "self_service", 95)


def test_a_calls_first_ticket_is_one_insert_and_its_second_request_sends_none(
    app, call, monkeypatch, open_hours
):
    phone = call()
    walk_to_main_menu(phone, "en")
    phone.press("3")
    with waits(app, monkeypatch) as sent:
        phone.press("1")  # a complaint: the call's ticket opened
    # The call's row and its path so far read; the ticket in one INSERT (no SELECT of the
    # call's tickets, no SAVEPOINT); the step's row and event; one transaction.
    assert sent == {"SELECT": 2, "BEGIN": 1, "INSERT": 1, "WITH": 1, "COMMIT": 1}
    phone.leave_message()
    with waits(app, monkeypatch) as sent:
        turn = phone.press("0")  # an agent: a second request on the same ticket
    assert turn.enqueue is not None
    assert "INSERT" not in sent and sent["UPDATE"] == 1  # the call's state knows its ticket
    # The row, the queue's length with the path so far in one read, the call's ticket.
    assert sent["SELECT"] == 3


def test_an_agent_asked_first_opens_the_ticket_in_one_insert(app, call, monkeypatch, open_hours):
    phone = call()
    walk_to_main_menu(phone, "en")
    with waits(app, monkeypatch) as sent:
        turn = phone.press("0")
    assert turn.enqueue is not None
    # The row, the queue's length with the path so far (one SELECT); the ticket; the step.
    assert sent == {"SELECT": 2, "BEGIN": 1, "INSERT": 1, "WITH": 1, "COMMIT": 1}
    _, path = _call(app, phone.call_sid)
    with app.app_context():
        ticket = db.session.scalar(sa.select(Ticket).where(Ticket.call_sid == phone.call_sid))
        assert ticket is not None and [step["to"] for step in ticket.ivr_path] == path


def test_a_callback_booked_after_a_complaint_reads_neither_path_nor_booking_apart(
    app, call, monkeypatch, closed_hours
):
    phone = call()
    walk_to_main_menu(phone, "en")
    phone.press("3")
    phone.press("1")
    phone.leave_message()
    offer = phone.press("0")  # after hours: the callback offer
    assert offer.gather is not None
    with waits(app, monkeypatch) as sent:
        phone.press("1")
    # The row; the call's ticket with its booking; the lock; the last slot booked with its
    # number; the ticket and its callback written in a savepoint; the step; the text message.
    assert sent == {
        "SELECT": 4,
        "SAVEPOINT": 1,
        "BEGIN": 1,
        "UPDATE": 1,
        "INSERT": 2,
        "RELEASE": 1,
        "WITH": 1,
        "COMMIT": 1,
    }
