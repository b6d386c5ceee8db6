"""Option 2 follows a ticket too: its caller types the reference and hears where it stands."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa
from babel.dates import format_date
from flask import Flask
from helpers import assert_spoken_in, csrf_token, walk_to_main_menu

from cases.models import CaseLookup
from centre import languages
from centre.clock import CENTRE_TZ, from_storage
from centre.extensions import db
from ivr.driver import PhoneCall, Turn
from tickets import callbacks
from tickets.models import Ticket

CALLER = "+33612345678"
STRANGER = "+33699887766"


def complain(app: Flask, call, code: str = "en", caller: str = CALLER) -> str:  # type: ignore[no-untyped-def]
    """Leave a complaint by phone; return its reference, as the caller heard it."""
    phone = call(caller=caller)
    walk_to_main_menu(phone, code)
    phone.press("3")
    phone.press("1")
    phone.leave_message()
    phone.hang_up()
    with app.app_context():
        reference = db.session.scalar(sa.select(Ticket.reference).order_by(Ticket.id.desc()))
    assert reference is not None
    return reference


def follow(phone: PhoneCall, code: str, reference: str) -> Turn:
    """Dial, choose option 2 and type `reference`; return what the caller hears."""
    walk_to_main_menu(phone, code)
    phone.press("2")
    return phone.press(reference + "#")


def outcomes(app: Flask) -> list[str]:
    """Return the lookup log's outcomes, oldest first."""
    with app.app_context():
        return list(db.session.scalars(sa.select(CaseLookup.outcome).order_by(CaseLookup.id)))


def lookups(app: Flask) -> list[sa.Row[Any]]:
    """Return the lookup log's rows (outcome, call, number's and reference's hashes), oldest first."""
    with app.app_context():
        query = sa.select(
            CaseLookup.outcome,
            CaseLookup.call_sid,
            CaseLookup.caller_hash,
            CaseLookup.reference_hash,
        )
        return list(db.session.execute(query.order_by(CaseLookup.id)).all())


def set_status(app: Flask, reference: str, status: str) -> None:
    """Move the ticket to `status`, as the desk would."""
    with app.app_context():
        ticket = db.session.scalar(sa.select(Ticket).where(Ticket.reference == reference))
        ticket.status = status
        db.session.commit()


@pytest.mark.parametrize("code", languages.CODES)
def test_a_caller_hears_where_their_complaint_stands_in_their_language(
    app: Flask, call, open_hours, code: str
) -> None:
    reference = complain(app, call, code)
    turn = follow(call(), code, reference)
    assert_spoken_in(turn, code)
    locale = languages.get(code).babel_locale
    assert ", ".join(reference) in turn.text
    assert format_date(datetime(2026, 12, 1), "full", locale=locale) in turn.text  # received
    with app.app_context():
        ticket = db.session.scalar(sa.select(Ticket).where(Ticket.reference == reference))
        due = from_storage(ticket.due_at).astimezone(CENTRE_TZ).date()
    assert format_date(due, "full", locale=locale) in turn.text  # what comes next: by when
    if code == "en":
        assert "We received your complaint on" in turn.text
        assert "waiting for the next available agent" in turn.text
        assert "ten digits" not in turn.text
    assert turn.gather is not None  # an agent, or the main menu
    assert outcomes(app) == ["ticket_found"]


def test_the_answer_follows_the_ticket_as_agents_work_on_it(app: Flask, call, open_hours) -> None:
    reference = complain(app, call)
    set_status(app, reference, "open")
    assert "An agent is handling it." in follow(call(), "en", reference).text
    set_status(app, reference, "waiting")
    assert "waiting for more information" in follow(call(), "en", reference).text
    set_status(app, reference, "resolved")
    done = follow(call(), "en", reference).text
    assert "It has been dealt with, and the request is closed." in done
    assert "We aim to answer you by" not in done


def test_a_callback_reference_tells_when_the_agent_will_call(app: Flask, call, open_hours) -> None:
    with app.app_context():
        ticket = callbacks.book(
            CALLER, "fr", app.config["PHONE_HASH_KEY"], from_storage(datetime(2026, 12, 1, 10))
        )
        db.session.commit()
        assert ticket.callback is not None
        when = from_storage(ticket.callback.scheduled_at).astimezone(CENTRE_TZ)
        reference = ticket.reference
    turn = follow(call(), "fr", reference)
    assert_spoken_in(turn, "fr")
    assert "vous rappeler" in turn.text
    assert when.strftime("%H:%M") in turn.text
    assert format_date(when.date(), "full", locale="fr") in turn.text


def test_another_number_hears_the_same_as_for_an_unknown_reference(
    app: Flask, call, open_hours
) -> None:
    reference = complain(app, call)
    other = follow(call(caller=STRANGER), "en", reference)
    unknown_reference = str((int(reference) + 10) % 10**9).zfill(9)  # same check digit
    unknown = follow(call(caller=STRANGER), "en", unknown_reference)
    assert other.text == unknown.text
    assert "could not confirm a request" in other.text
    assert "complaint" not in other.text and ", ".join(reference) not in other.text
    assert outcomes(app) == ["ticket_not_theirs", "ticket_unknown"]
    hidden = follow(call(caller="anonymous"), "en", reference)
    assert hidden.text == unknown.text


def test_ticket_references_share_the_case_lookups_limits(app: Flask, call, open_hours) -> None:
    reference = complain(app, call)
    phone = call(caller=STRANGER)
    follow(phone, "en", reference)
    phone.press(reference + "#")
    third = phone.press(reference + "#")
    assert "no more applications can be checked during this call" in third.text
    for _ in range(3):  # three more failures from the number, in other calls
        follow(call(caller=STRANGER), "en", reference)
    phone = call(caller=STRANGER)
    walk_to_main_menu(phone, "en")
    assert "cannot be checked from this number" in phone.press("2").text
    log = outcomes(app)
    assert log.count("ticket_not_theirs") == 6 and log[-1] == "refused"
    # The owner of the number is not locked out by a stranger's guesses.
    assert "We received your complaint" in follow(call(), "en", reference).text


def test_a_wrong_length_says_both_kinds_of_reference(app: Flask, call, open_hours) -> None:
    turn = follow(call(), "en", "12345")
    assert "ten digits" in turn.text and "nine" in turn.text
    assert outcomes(app) == []


def test_the_log_tells_which_reference_was_tried_by_its_keyed_hash_only(
    app: Flask, call, open_hours
) -> None:
    # Who guesses at one request can be seen from the log, without the log holding references.
    reference = complain(app, call)
    other = str((int(reference) + 10) % 10**9).zfill(9)  # same check digit, no such ticket
    follow(call(caller=STRANGER), "en", reference)
    follow(call(caller="+33699887700"), "en", reference)
    follow(call(caller=STRANGER), "en", other)
    with app.app_context():
        rows = db.session.execute(
            sa.select(CaseLookup.outcome, CaseLookup.reference_hash).order_by(CaseLookup.id)
        ).all()
    assert [outcome for outcome, _ in rows] == ["ticket_not_theirs"] * 2 + ["ticket_unknown"]
    tried, again, elsewhere = (hashed for _, hashed in rows)
    assert tried and tried == again and elsewhere != tried
    assert reference not in tried and other not in elsewhere


def test_a_numbers_sixth_failure_is_checked_then_it_is_refused_and_both_are_logged(
    app: Flask, call, open_hours
) -> None:
    # Five failures in two calls: a third call may still try. Its try is the sixth failure,
    # still checked; then the number is refused for the rest of the day.
    reference = complain(app, call)
    phone = call(caller=STRANGER)
    follow(phone, "en", reference)
    phone.press(reference + "#")
    phone.press(reference + "#")
    phone = call(caller=STRANGER)
    follow(phone, "en", reference)
    phone.press(reference + "#")
    last = call(caller=STRANGER)
    sixth = follow(last, "en", reference)
    assert "could not confirm a request" in sixth.text
    assert "cannot be checked from this number" in sixth.text
    rows = lookups(app)
    assert [row.outcome for row in rows] == ["ticket_not_theirs"] * 6 + ["refused"]
    failure, refusal = rows[-2:]
    assert failure.call_sid == refusal.call_sid == last.call_sid
    assert failure.caller_hash and failure.caller_hash == refusal.caller_hash == rows[0].caller_hash
    assert failure.reference_hash and failure.reference_hash == rows[0].reference_hash


def test_six_hidden_failures_on_one_ticket_reference_lock_it_for_hidden_callers_only(
    app: Flask, call, open_hours
) -> None:
    reference = complain(app, call)
    other = complain(app, call, caller="+33612345679")
    for _ in range(2):  # three tries a call, from a hidden number
        phone = call(caller="anonymous")
        follow(phone, "en", reference)
        phone.press(reference + "#")
        phone.press(reference + "#")
    locked_call = call(caller="anonymous")
    locked = follow(locked_call, "en", reference)
    assert "cannot be checked from a hidden number" in locked.text
    assert "could not confirm a request" in follow(call(caller="anonymous"), "en", other).text
    assert outcomes(app) == ["ticket_not_theirs"] * 6 + ["refused", "ticket_not_theirs"]
    with app.app_context():  # the refusal is logged against its call and the reference typed
        rows = db.session.scalars(sa.select(CaseLookup).order_by(CaseLookup.id)).all()
    assert rows[6].call_sid == locked_call.call_sid
    assert rows[6].reference_hash and rows[6].reference_hash == rows[0].reference_hash


def test_a_complaint_merged_into_another_is_followed_by_its_own_reference(
    app: Flask, call, log_in, open_hours
) -> None:
    # The caller rang twice about one thing; the desk merged the second into the first.
    survivor = complain(app, call)
    duplicate = complain(app, call)
    with app.app_context():
        survivor_id, version = db.session.execute(
            sa.select(Ticket.id, Ticket.version).where(Ticket.reference == survivor)
        ).one()
    agent = log_in("agent", "en")
    merged = agent.post(
        f"/tickets/{survivor_id}/merge",
        data={
            "csrf_token": csrf_token(agent, f"/tickets/{survivor_id}"),
            "version": str(version),
            "references": duplicate,
        },
    )
    assert merged.status_code == 302
    set_status(app, survivor, "resolved")
    by_duplicate, by_survivor = call(), call()
    turn = follow(by_duplicate, "en", duplicate)
    assert "could not confirm" not in turn.text
    assert turn.text == follow(by_survivor, "en", survivor).text
    rows = lookups(app)
    # Each found lookup is logged with its call, its number's hash and the reference typed.
    assert [(row.outcome, row.call_sid) for row in rows] == [
        ("ticket_found", by_duplicate.call_sid),
        ("ticket_found", by_survivor.call_sid),
    ]
    assert rows[0].caller_hash and rows[0].caller_hash == rows[1].caller_hash
    assert rows[0].reference_hash and rows[1].reference_hash
    assert rows[0].reference_hash != rows[1].reference_hash


def test_finding_ones_own_request_does_not_count_toward_the_numbers_limit(
    app: Flask, call, open_hours
) -> None:
    reference = complain(app, call)
    unknown = str((int(reference) + 10) % 10**9).zfill(9)  # same check digit, no such ticket
    for tries in (3, 2):  # five failures, in two calls
        phone = call()
        follow(phone, "en", unknown)
        for _ in range(tries - 1):
            phone.press(unknown + "#")
    phone = call()
    assert "We received your complaint" in follow(phone, "en", reference).text
    # Still five failures: the sixth is checked like any other, not refused; then the number is.
    again = call()
    assert "could not confirm a request" in follow(again, "en", unknown).text
    expected = ["ticket_unknown"] * 5 + ["ticket_found", "ticket_unknown", "refused"]
    assert outcomes(app) == expected
