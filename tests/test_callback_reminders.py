"""Callers who ask for it when booking are texted a reminder shortly before their callback."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskCliRunner
from helpers import walk_to_main_menu

from centre import jobs
from centre.clock import CENTRE_TZ, from_storage
from centre.extensions import db
from centre.messaging import OutboundMessage
from ivr.driver import PhoneCall
from tickets.models import Callback, Ticket


def book(call: Callable[..., PhoneCall], caller: str, code: str, remind: bool) -> None:
    """Book a callback from the closed centre's offer; press 1 at the goodbye if `remind`."""
    phone = call(caller=caller)
    walk_to_main_menu(phone, code)
    phone.press("0")
    booked = phone.press("1")
    assert booked.hangup and booked.gather is not None  # the offer, then the goodbye
    if remind:
        assert "1" in booked.text
        confirmed = phone.press("1")
        assert confirmed.hangup and confirmed.gather is None


def reminders(app: Flask) -> list[OutboundMessage]:
    """Return the reminders texted, oldest first."""
    with app.app_context():
        found = list(
            db.session.scalars(
                sa.select(OutboundMessage).where(OutboundMessage.purpose == "callback_reminder")
            )
        )
        for message in found:
            db.session.expunge(message)
        return found


def run_reminders(app: Flask) -> None:
    """Run the scheduled reminders as the scheduler would (the suite runs jobs in place)."""
    with app.app_context():
        jobs.enqueue(jobs.run_scheduled, "callback-reminders")


def remind_at(app: Flask, time_machine, moment: str) -> None:  # type: ignore[no-untyped-def]
    """Move the clock to `moment` and run the scheduled reminders there."""
    time_machine.move_to(moment, tick=False)
    run_reminders(app)


FRENCH = "+33612345678"


@pytest.fixture
def french_caller_asked_for_a_reminder(call: Callable[..., PhoneCall], closed_hours: None) -> None:
    """Book the French caller's callback (Monday 7 December, 08:00), asking for a reminder."""
    book(call, FRENCH, "fr", remind=True)


def test_a_caller_who_pressed_1_is_texted_once_shortly_before_the_callback_in_their_language(
    app: Flask,
    call: Callable[..., PhoneCall],
    closed_hours: None,
    time_machine,  # type: ignore[no-untyped-def]
) -> None:
    book(call, "+34612345678", "es", remind=True)
    book(call, "+33612345678", "fr", remind=False)
    with app.app_context():
        slots = {
            b.number: from_storage(b.scheduled_at) for b in db.session.scalars(sa.select(Callback))
        }
        assert db.session.scalars(
            sa.select(Callback.reminder).order_by(Callback.ticket_id)
        ).all() == ["asked", None]
    slot = slots["+34612345678"]
    time_machine.move_to(slot - timedelta(hours=2), tick=False)
    run_reminders(app)
    assert reminders(app) == []  # too early
    time_machine.move_to(slot - timedelta(minutes=28), tick=False)
    run_reminders(app)
    run_reminders(app)
    (reminder,) = reminders(app)
    assert (reminder.to_number, reminder.language) == ("+34612345678", "es")
    with app.app_context():
        reference = db.session.scalar(
            sa.select(Ticket.reference).join(Callback).where(Callback.number == "+34612345678")
        )
    # A Spanish mobile may be on Canary time as well as Madrid's: Moroccan time only.
    assert reminder.body == (
        "Centro de atención consular: un recordatorio, le devolveremos la llamada hoy a las "
        f"{slot.astimezone(CENTRE_TZ).strftime('%H:%M')} (hora de Marruecos). "
        f"Referencia {reference}."
    )


def test_the_reminders_run_every_five_minutes_on_their_own(app: Flask) -> None:
    from datetime import datetime

    with app.app_context():
        due = [
            e.name for e in jobs.due_entries(app, datetime(2026, 12, 1, 10, 2, tzinfo=CENTRE_TZ))
        ]
        assert "callback-reminders" in due
        quiet = [
            e.name for e in jobs.due_entries(app, datetime(2026, 12, 1, 10, 4, tzinfo=CENTRE_TZ))
        ]
        assert "callback-reminders" not in quiet


def test_a_caller_whose_number_tells_their_time_is_reminded_in_both_times_half_an_hour_before(
    app: Flask,
    french_caller_asked_for_a_reminder: None,
    time_machine,  # type: ignore[no-untyped-def]
) -> None:
    with app.app_context():
        reference = db.session.scalar(sa.select(Ticket.reference))
    # Booked on Saturday for Monday 7 December 08:00 in Casablanca, 09:00 in Paris. The job
    # runs every five minutes: the 07:30 run is exactly half an hour before, and sends it.
    remind_at(app, time_machine, "2026-12-07T07:30:00+00:00")
    (reminder,) = reminders(app)
    assert (reminder.to_number, reminder.language) == ("+33612345678", "fr")
    assert reminder.body == (
        "Centre d'appels consulaire : pour rappel, nous vous rappellerons aujourd'hui à 08:00 "
        f"(heure marocaine), soit 09:00 chez vous. Référence {reference}."
    )


def test_no_reminder_comes_at_or_after_the_callbacks_own_time(
    app: Flask,
    french_caller_asked_for_a_reminder: None,
    time_machine,  # type: ignore[no-untyped-def]
) -> None:
    # The scheduler was down until the callback's own time (Monday 08:00), then an hour later
    # with the callback still to ring: a reminder then would only arrive with the call.
    for moment in ("2026-12-07T08:00:00+00:00", "2026-12-07T09:00:00+00:00"):
        remind_at(app, time_machine, moment)
    assert reminders(app) == []


def test_a_caller_forgotten_after_asking_for_a_reminder_gets_none(
    app: Flask,
    french_caller_asked_for_a_reminder: None,
    runner: FlaskCliRunner,
    time_machine,  # type: ignore[no-untyped-def]
) -> None:
    assert runner.invoke(args=["privacy", "anonymise", FRENCH]).exit_code == 0
    remind_at(app, time_machine, "2026-12-07T07:35:00+00:00")
    assert reminders(app) == []


def test_pressing_1_for_a_reminder_is_answered_with_the_promise_only_while_the_callback_stands(
    app: Flask,
    call: Callable[..., PhoneCall],
    runner: FlaskCliRunner,
    closed_hours: None,
) -> None:
    promise = "Nous vous enverrons un SMS peu avant notre appel."
    phone = call(caller="+33612345678")
    walk_to_main_menu(phone, "fr")
    phone.press("0")
    assert "Pour recevoir un SMS peu avant notre appel, appuyez sur 1." in phone.press("1").text
    assert promise in phone.press("1").text
    # Another caller is forgotten while they hear the offer: their callback is cancelled, and
    # pressing 1 promises nothing.
    other = call(caller="+33699887766")
    walk_to_main_menu(other, "fr")
    other.press("0")
    other.press("1")
    assert runner.invoke(args=["privacy", "anonymise", "+33699887766"]).exit_code == 0
    answer = other.press("1")
    assert answer.hangup and promise not in answer.text
    with app.app_context():
        assert db.session.scalars(
            sa.select(Callback.reminder).order_by(Callback.ticket_id)
        ).all() == ["asked", None]


def test_a_caller_reminded_then_moved_by_a_closure_is_reminded_of_the_new_time(
    app: Flask,
    french_caller_asked_for_a_reminder: None,
    runner: FlaskCliRunner,
    time_machine,  # type: ignore[no-untyped-def]
) -> None:
    remind_at(app, time_machine, "2026-12-07T07:30:00+00:00")
    time_machine.move_to("2026-12-07T07:40:00+00:00", tick=False)
    closed = runner.invoke(args=["calendar", "close", "2026-12-07T08:00", "2026-12-07T09:00"])
    assert closed.exit_code == 0, closed.output
    remind_at(app, time_machine, "2026-12-07T08:30:00+00:00")
    first, second = reminders(app)
    assert "aujourd'hui à 08:00 (heure marocaine)" in first.body
    assert "aujourd'hui à 09:00 (heure marocaine)" in second.body
