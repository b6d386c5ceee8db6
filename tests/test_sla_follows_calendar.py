"""The SLA follows the calendar: open tickets' due times move with hours, holidays, closures."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from helpers import post_form

from centre import calendar
from centre.calendar import Closure
from centre.clock import from_storage, to_storage
from centre.extensions import db
from tickets import callbacks, services, sla
from tickets.models import Ticket

HASH_KEY = "test-phone-key"


def due(app, ticket_id: int) -> tuple[datetime, datetime]:  # type: ignore[no-untyped-def]
    """Return the ticket's (warning, due) times as stored now, aware."""
    with app.app_context():
        found = db.session.get(Ticket, ticket_id)
        return from_storage(found.warn_at), from_storage(found.due_at)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """Return a moment of December 2026 in Casablanca (UTC+0 since September 2026)."""
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC)


def open_complaint(app) -> int:  # type: ignore[no-untyped-def]
    """Open a complaint now, as the phone menu does; return its id."""
    with app.app_context():
        ticket = services.open_ticket("complaint", "fr", "+33612345678", HASH_KEY, country="FR")
        db.session.commit()
        return ticket.id


def test_a_closure_added_then_removed_moves_open_tickets_due_times_not_handled_ones(
    app, log_in, open_hours
):
    # Tuesday 1 December, 10:00: 24 open hours are 10 on Tuesday, 12 on Wednesday, 2 on
    # Thursday: due Thursday at 10:00, warned Wednesday at 16:00.
    still_open, handled = open_complaint(app), open_complaint(app)
    assert due(app, still_open) == (at(2, 16), at(3, 10))
    agent = log_in("agent", "fr")
    page = f"/tickets/{handled}"
    with app.app_context():
        seen = str(db.session.get(Ticket, handled).version)
    resolved = post_form(
        agent,
        f"{page}/save",
        {"version": seen, "status": "resolved", "note": "Réglé au téléphone"},
        page,
    )
    assert resolved.status_code == 302
    supervisor = log_in("supervisor", "", locale="en")
    # The whole of Wednesday is closed: a working day later.
    closing = {"starts": "2026-12-02T08:00", "ends": "2026-12-02T20:00", "kind": "closure"}
    assert post_form(supervisor, "/centre/closures", closing).status_code == 302
    assert due(app, still_open) == (at(3, 16), at(4, 10))
    assert due(app, handled) == (at(2, 16), at(3, 10))  # judged by the calendar of its day
    with app.app_context():
        closure_id = db.session.scalar(sa.select(Closure.id))
    removed = post_form(supervisor, f"/centre/closures/{closure_id}/remove", {}, "/centre/closures")
    assert removed.status_code == 302
    assert due(app, still_open) == (at(2, 16), at(3, 10))


def test_a_callback_is_due_an_open_hour_after_its_booked_time_as_the_calendar_now_stands(
    app, log_in, open_hours
):
    with app.app_context():
        ticket = callbacks.book("+33612345678", "fr", HASH_KEY, at(1, 10))
        db.session.commit()
        booked, ticket_id = from_storage(ticket.callback.scheduled_at), ticket.id
    assert booked == at(1, 10) and due(app, ticket_id) == (booked, at(1, 11))
    supervisor = log_in("supervisor", "", locale="en")
    # Maintenance from 10:30 to 12:00 leaves the booked time where it is...
    window = {"starts": "2026-12-01T10:30", "ends": "2026-12-01T12:00", "kind": "maintenance"}
    assert post_form(supervisor, "/centre/closures", window).status_code == 302
    # ...and its hour of service is half an hour before the window and half an hour after.
    assert due(app, ticket_id) == (booked, at(1, 12, 30))


def test_a_holiday_added_from_the_shell_and_new_hours_move_open_tickets(app, runner, open_hours):
    ticket_id = open_complaint(app)
    assert due(app, ticket_id)[1] == at(3, 10)
    result = runner.invoke(args=["calendar", "add-holiday", "2026-12-03", "Fête locale"])
    assert result.exit_code == 0, result.output
    assert due(app, ticket_id)[1] == at(4, 10)  # Thursday is a holiday: Friday
    result = runner.invoke(args=["calendar", "hours", "friday", "08:00", "09:00"])
    assert result.exit_code == 0, result.output
    # Friday gives only one hour (08:00-09:00), the last hour falls on Monday.
    assert due(app, ticket_id)[1] == at(7, 9)


def test_a_closure_moves_each_open_ticket_from_its_own_start(app, log_in, open_hours):
    # Two complaints from Monday 30 November: one at 14:00 (6 hours that day, 12 on Tuesday, 6
    # on Wednesday: warned Tuesday at 20:00, due Wednesday at 14:00), one left at 21:00, after
    # hours, which counts from Tuesday's opening (warned Wednesday at 14:00, due Wednesday at
    # 20:00). Closing all of Wednesday moves each by a working day from its own start; the
    # first one's warning had already passed.
    opened = {}
    with app.app_context():
        for hour in (14, 21):
            ticket = services.open_ticket(
                "complaint",
                "fr",
                f"+3361234567{hour % 10}",
                HASH_KEY,
                country="FR",
                at=datetime(2026, 11, 30, hour, tzinfo=UTC),
            )
            db.session.flush()
            opened[hour] = ticket.id
        db.session.commit()
    assert due(app, opened[14]) == (at(1, 20), at(2, 14))
    assert due(app, opened[21]) == (at(2, 14), at(2, 20))
    supervisor = log_in("supervisor", "", locale="en")
    closing = {"starts": "2026-12-02T08:00", "ends": "2026-12-02T20:00", "kind": "closure"}
    assert post_form(supervisor, "/centre/closures", closing).status_code == 302
    assert due(app, opened[14]) == (at(1, 20), at(3, 14))
    assert due(app, opened[21]) == (at(3, 14), at(3, 20))


def test_a_due_time_counted_up_to_its_last_open_hour_is_the_one_the_whole_horizon_gives(
    app, log_in, open_hours
):
    # `set_due` walks the calendar only until the ticket's hours are spent; `follow_calendar`
    # hands over the whole horizon. Both must land on the same moments, closures and all.
    supervisor = log_in("supervisor", "", locale="en")
    closing = {"starts": "2026-12-02T11:00", "ends": "2026-12-02T13:30", "kind": "closure"}
    assert post_form(supervisor, "/centre/closures", closing).status_code == 302
    with app.app_context():
        for start in (at(1, 7), at(1, 10), at(2, 12), at(4, 19, 59), at(5, 12), at(6, 23, 59)):
            for kind in sla.OPEN_HOURS:
                ticket = Ticket(type=kind, created_at=to_storage(start))
                sla.set_due(ticket)
                short = (ticket.warn_at, ticket.due_at, ticket.queue_key)
                whole = list(calendar.open_intervals(start, start + sla.HORIZON))
                sla._set_due_in(ticket, whole)
                assert short == (ticket.warn_at, ticket.due_at, ticket.queue_key), (start, kind)
