"""One call, one ticket: what the caller asks in the same call is added to it, in order."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from helpers import walk_to_main_menu

from centre import phones
from centre.extensions import db
from ivr.driver import PhoneCall
from tickets import services, sla
from tickets.models import Ticket

ENGLISH = "en"


def tickets_of(app: Flask) -> list[Ticket]:
    """Return every ticket, oldest first."""
    with app.app_context():
        found = list(db.session.scalars(sa.select(Ticket).order_by(Ticket.id)))
        for ticket in found:
            db.session.expunge(ticket)
        return found


def complain_then_queue_then_callback(phone: PhoneCall) -> None:
    """Record a complaint, ask for an agent, then leave the queue for a callback."""
    walk_to_main_menu(phone, ENGLISH)
    phone.press("3")
    phone.press("1")
    phone.leave_message()
    phone.recording_ready()
    phone.press("0")  # at the main menu again: an agent
    phone.hold()
    phone.press("1")  # on the wait page: be called back instead
    phone.left()


def test_a_complaint_then_an_agent_then_a_callback_leave_one_callback_ticket_with_three_requests(
    app: Flask, call: Callable[..., PhoneCall], open_hours: None
) -> None:
    phone = call(caller="+447700900123", to="+33805000000")
    complain_then_queue_then_callback(phone)
    assert "call you back" in phone.turn.text
    (ticket,) = tickets_of(app)
    assert ticket.type == "callback"  # what the desk must do next
    assert ticket.request_types == ["complaint", "escalated_call", "callback"]
    assert ticket.has_message


def test_a_replayed_step_adds_no_second_request(
    app: Flask, call: Callable[..., PhoneCall], open_hours: None
) -> None:
    phone = call()
    walk_to_main_menu(phone, "fr")
    phone.press("3")
    phone.press("1")
    phone.leave_message()
    queued = phone.press("0")
    phone.request(phone.history[-2].gather["action"], Digits="0")  # Twilio sends it again
    assert queued.enqueue is not None
    (ticket,) = tickets_of(app)
    assert ticket.request_types == ["complaint", "escalated_call"]


def test_two_calls_of_one_caller_open_two_tickets_and_the_desk_offers_the_open_one(
    app: Flask,
    call: Callable[..., PhoneCall],
    open_hours: None,
    log_in: Callable[..., FlaskClient],
) -> None:
    for _ in range(2):
        phone = call(caller="+33612345678")
        walk_to_main_menu(phone, "fr")
        phone.press("3")
        phone.press("1")
        phone.leave_message()
    first, second = tickets_of(app)
    agent = log_in("agent", "fr")
    page = agent.get(f"/tickets/{second.id}").get_data(as_text=True)
    assert first.reference in page
    assert 'name="references" dir="ltr" value="' + first.reference in page


def test_a_calls_first_ticket_has_the_due_times_and_request_the_orm_would_give(
    app: Flask, call: Callable[..., PhoneCall], open_hours: None
) -> None:
    phone = call(caller="+447700900123")
    walk_to_main_menu(phone, ENGLISH)
    phone.press("3")
    phone.press("1")  # a complaint: the ticket opened in one statement
    (ticket,) = tickets_of(app)
    expected = Ticket(type="complaint", created_at=ticket.created_at)
    with app.app_context():
        sla.set_due(expected)
    assert (ticket.warn_at, ticket.due_at, ticket.queue_key) == (
        expected.warn_at,
        expected.due_at,
        expected.queue_key,
    )
    assert ticket.request_types == ["complaint"]
    assert (ticket.status, ticket.version, ticket.has_message, ticket.caller_masked) == (
        "new",
        1,
        False,
        phones.mask("+447700900123"),
    )


def test_a_reference_drawn_twice_still_opens_the_calls_ticket(
    app: Flask, call: Callable[..., PhoneCall], open_hours: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = call()
    walk_to_main_menu(first, ENGLISH)
    first.press("3")
    first.press("1")
    (taken,) = tickets_of(app)
    drawn = iter([taken.reference, taken.reference, "123456782"])
    monkeypatch.setattr(services, "new_reference", lambda: next(drawn))
    second = call()
    walk_to_main_menu(second, ENGLISH)
    second.press("3")
    second.press("2")
    assert [t.reference for t in tickets_of(app)] == [taken.reference, "123456782"]
