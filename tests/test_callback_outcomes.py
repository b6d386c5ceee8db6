"""A callback's outcome closes the loop: reached resolves it, no answer tries again and tells the caller."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from helpers import post_form, walk_to_main_menu

from centre.extensions import db
from centre.messaging import OutboundMessage
from ivr.driver import PhoneCall
from tickets.models import Callback, Ticket

CALLER = "+33612340001"


def book_by_phone(
    app: Flask, call: Callable[..., PhoneCall], caller: str = CALLER, code: str = "fr"
) -> int:
    """Ask for an agent (in French), leave the queue for a callback; return the ticket's id."""
    phone = call(caller=caller)
    walk_to_main_menu(phone, code)
    phone.press("0")
    phone.hold()
    phone.press("1")
    phone.left()
    with app.app_context():
        return db.session.scalars(sa.select(Ticket.id)).one()


def outcome(app: Flask, agent: FlaskClient, ticket_id: int, result: str, **extra: str):  # type: ignore[no-untyped-def]
    """Record a callback outcome from the ticket page, as the agent does."""
    with app.app_context():
        version = db.session.get(Ticket, ticket_id).version
    path = f"/tickets/{ticket_id}"
    return post_form(
        agent, f"{path}/outcome", {"version": str(version), "outcome": result, **extra}, page=path
    )


def texts(app: Flask, purpose: str, caller: str = CALLER) -> list[OutboundMessage]:
    """Return the texts of `purpose` sent to the caller, oldest first."""
    with app.app_context():
        found = list(
            db.session.scalars(
                sa.select(OutboundMessage)
                .where(OutboundMessage.purpose == purpose, OutboundMessage.to_number == caller)
                .order_by(OutboundMessage.id)
            )
        )
        for message in found:
            db.session.expunge(message)
        return found


def test_a_reached_caller_resolves_the_ticket_and_the_call_back_button_goes(
    app: Flask, call: Callable[..., PhoneCall], open_hours: None, log_in: Callable[..., FlaskClient]
) -> None:
    ticket_id = book_by_phone(app, call)
    agent = log_in("agent", "fr", locale="en", phone="+212600000001")
    assert "Call back</button>" in agent.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert outcome(app, agent, ticket_id, "reached").status_code == 302
    page = agent.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert "Call back</button>" not in page and "The caller was reached." in page
    assert "Callback: caller reached. The ticket is resolved." in page
    with app.app_context():
        assert db.session.get(Ticket, ticket_id).status == "resolved"
    assert outcome(app, agent, ticket_id, "no_answer").status_code == 422  # settled already


def test_a_reached_caller_kept_open_is_handed_on_not_resolved(
    app: Flask, call: Callable[..., PhoneCall], open_hours: None, log_in: Callable[..., FlaskClient]
) -> None:
    ticket_id = book_by_phone(app, call)
    agent = log_in("agent", "fr", locale="en")
    outcome(app, agent, ticket_id, "reached", keep_open="1")
    with app.app_context():
        assert db.session.get(Ticket, ticket_id).status == "open"
        assert db.session.get(Callback, ticket_id).state == "done"


def test_no_answer_tries_again_later_texting_the_caller_then_gives_up_after_three_tries(
    app: Flask,
    call: Callable[..., PhoneCall],
    open_hours: None,
    log_in: Callable[..., FlaskClient],
    time_machine,  # type: ignore[no-untyped-def]
) -> None:
    ticket_id = book_by_phone(app, call)
    agent = log_in("agent", "fr", locale="en")
    with app.app_context():
        first = db.session.get(Callback, ticket_id).scheduled_at
    outcome(app, agent, ticket_id, "no_answer")
    with app.app_context():
        second = db.session.get(Callback, ticket_id).scheduled_at
        assert db.session.get(Callback, ticket_id).state == "booked"
    assert (second - first).total_seconds() >= 3600
    (retry,) = texts(app, "callback_retry")
    with app.app_context():
        reference = db.session.get(Ticket, ticket_id).reference
    # Tuesday 10:00 in Casablanca, an hour later at the earliest; 12:00 in Paris. One text
    # tells the new time: the booking that moved is not texted a second time as "moved".
    assert retry.language == "fr" and retry.body == (
        "Centre d'appels consulaire : nous vous avons appelé mais nous n'avons pas pu vous "
        "joindre. Nous vous rappellerons le mardi 1 décembre 2026 à 11:00 (heure marocaine), "
        "soit le mardi 1 décembre 2026 à 12:00 chez vous. "
        f"Référence {reference}."
    )
    assert texts(app, "callback_moved") == []
    assert "Call back</button>" in agent.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    time_machine.shift(20 * 60)  # the agent tries again, still logged in
    again = outcome(app, agent, ticket_id, "no_answer")
    assert again.status_code == 302, again.get_data(as_text=True)[-3000:]
    assert len(texts(app, "callback_retry")) == 2
    time_machine.shift(20 * 60)  # the agent tries again, still logged in
    outcome(app, agent, ticket_id, "no_answer")
    (unreached,) = texts(app, "callback_unreached")
    assert unreached.body == (
        "Centre d'appels consulaire : nous avons essayé 3 fois de vous rappeler sans vous "
        f"joindre. Rappelez-nous quand vous le pourrez, avec votre référence {reference}."
    )
    # Resolved without reaching them: the survey still asks how the request was handled.
    assert [m.id for m in texts(app, "ticket:survey")] == [unreached.id + 1]
    page = agent.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert "Call back</button>" not in page and "No more tries after 3" in page
    with app.app_context():
        assert db.session.get(Ticket, ticket_id).status == "resolved"
        assert db.session.get(Callback, ticket_id).state == "no_answer"


def test_a_reached_caller_gets_the_survey_counted_to_the_agent_who_called(
    app: Flask, call: Callable[..., PhoneCall], open_hours: None, log_in: Callable[..., FlaskClient]
) -> None:
    ticket_id = book_by_phone(app, call)
    agent = log_in("agent", "fr", locale="en")
    assert outcome(app, agent, ticket_id, "reached").status_code == 302
    (survey,) = texts(app, "ticket:survey")
    assert survey.language == "fr" and "Répondez par un seul chiffre" in survey.body
    with app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        assert (ticket.survey_state, ticket.resolved_by_id) == ("sent", agent.member.id)


def test_a_reached_caller_kept_open_gets_no_survey_yet(
    app: Flask, call: Callable[..., PhoneCall], open_hours: None, log_in: Callable[..., FlaskClient]
) -> None:
    ticket_id = book_by_phone(app, call)
    agent = log_in("agent", "fr", locale="en")
    outcome(app, agent, ticket_id, "reached", keep_open="1")
    assert texts(app, "ticket:survey") == []


def test_a_caller_on_moroccan_time_is_told_the_next_try_in_moroccan_time_only(
    app: Flask,
    call: Callable[..., PhoneCall],
    open_hours: None,
    log_in: Callable[..., FlaskClient],
) -> None:
    moroccan = "+212612345678"
    ticket_id = book_by_phone(app, call, caller=moroccan, code="es")
    outcome(app, log_in("agent", "es", locale="en"), ticket_id, "no_answer")
    with app.app_context():
        reference = db.session.get(Ticket, ticket_id).reference
    (retry,) = texts(app, "callback_retry", caller=moroccan)
    assert retry.language == "es" and retry.body == (
        "Centro de atención consular: le llamamos pero no pudimos localizarle. Le volveremos a "
        "llamar el martes, 1 de diciembre de 2026 a las 11:00 (hora de Marruecos). "
        f"Referencia {reference}."
    )


def test_a_spanish_speaking_caller_never_reached_is_told_so_in_spanish(
    app: Flask,
    call: Callable[..., PhoneCall],
    open_hours: None,
    log_in: Callable[..., FlaskClient],
    time_machine,  # type: ignore[no-untyped-def]
) -> None:
    moroccan = "+212612345678"
    ticket_id = book_by_phone(app, call, caller=moroccan, code="es")
    agent = log_in("agent", "es", locale="en")
    for _ in range(3):
        assert outcome(app, agent, ticket_id, "no_answer").status_code == 302
        time_machine.shift(20 * 60)  # the agent tries again, still logged in
    with app.app_context():
        reference = db.session.get(Ticket, ticket_id).reference
    (unreached,) = texts(app, "callback_unreached", caller=moroccan)
    assert unreached.language == "es" and unreached.body == (
        "Centro de atención consular: intentamos devolverle la llamada 3 veces sin localizarle. "
        f"Vuelva a llamarnos cuando pueda, con su referencia {reference}."
    )


def test_a_caller_pushed_back_by_an_unanswered_callback_is_texted_the_new_time(
    app: Flask,
    call: Callable[..., PhoneCall],
    open_hours: None,
    log_in: Callable[..., FlaskClient],
) -> None:
    # One callback an hour: the first caller gets 10:00, the second 11:00. Nobody answers the
    # first; they are tried again from 11:00, ahead of the second caller, who moves to 12:00.
    app.config.update(CALLBACK_SLOT_MINUTES=60, CALLBACK_SLOT_CAPACITY=1)
    second = "+212612345679"
    first_id = book_by_phone(app, call, caller="+212612345678")
    phone = call(caller=second)
    walk_to_main_menu(phone, "fr")
    phone.press("0")
    phone.hold()
    phone.press("1")
    phone.left()
    with app.app_context():
        second_ticket = db.session.scalars(sa.select(Ticket).where(Ticket.id != first_id)).one()
        reference = second_ticket.reference
        assert second_ticket.callback.scheduled_at == datetime(2026, 12, 1, 11, 0)
    outcome(app, log_in("agent", "fr", locale="en"), first_id, "no_answer")
    (moved,) = texts(app, "callback_moved", caller=second)
    assert moved.language == "fr" and moved.body == (
        f"Centre d'appels consulaire : votre rappel {reference} est déplacé au mardi 1 décembre "
        "2026 à 12:00 (heure marocaine)."
    )
