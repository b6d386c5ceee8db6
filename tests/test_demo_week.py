"""`flask setup --demo` builds a believable recent week, and a second run adds nothing."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from helpers import row_counts

from centre.clock import CENTRE_TZ, from_storage
from centre.extensions import db
from ivr.models import Call
from tickets.models import STATUSES, Callback, Ticket, TicketNote

pytestmark = pytest.mark.usefixtures("guide")

# 2026-12-01 10:00 in Casablanca (a Tuesday): the week runs from Tuesday 24 November.
DAYS = [date(2026, 11, 24) + timedelta(days=n) for n in range(8)]


@pytest.fixture
def demo(app, runner, open_hours):  # type: ignore[no-untyped-def]
    """Run `flask setup --demo` on a working Tuesday morning; return its output."""
    result = runner.invoke(args=["setup", "--demo"])
    assert result.exit_code == 0, result.output
    return result.output


def _week_calls(app) -> list[Call]:  # type: ignore[no-untyped-def]
    with app.app_context():
        return list(db.session.scalars(sa.select(Call).where(Call.call_sid.like("CAweek%"))))


def test_the_week_spreads_three_thousand_calls_as_a_centre_sees_them(app, demo, log_in):
    calls = _week_calls(app)
    assert len(calls) == 3000
    local = [from_storage(call.started_at).astimezone(CENTRE_TZ) for call in calls]
    per_day = Counter(moment.date() for moment in local)
    assert set(per_day) <= set(DAYS)
    monday, saturday, sunday = date(2026, 11, 30), date(2026, 11, 28), date(2026, 11, 29)
    whole = [day for day in DAYS[1:-1] if day.weekday() < 5]  # the first and last are partial
    assert all(per_day[monday] > 1.2 * per_day[day] for day in whole if day != monday), per_day
    assert all(
        per_day[day] > 2 * per_day[weekend] for day in whole for weekend in (saturday, sunday)
    )
    per_hour = Counter(moment.hour for moment in local)
    assert per_hour[18] > per_hour[10] > per_hour[8]  # the evening peak after work
    assert all(call.ended_at is not None for call in calls)  # no ghost still "going"
    assert len({call.language for call in calls}) == 7
    assert len({call.country for call in calls}) == 26
    languages = Counter(call.language for call in calls)
    assert languages.most_common(2)[0][0] in ("ar", "fr")
    assert all(count >= 60 for count in languages.values())
    tickets_in_every_state_with_notes_and_recordings(app, demo)
    every_staff_page_shows_the_week(app, log_in)


def tickets_in_every_state_with_notes_and_recordings(app, demo: str) -> None:  # type: ignore[no-untyped-def]
    """Check the tickets the week left: every state, notes, recordings, callbacks."""
    with app.app_context():
        statuses = Counter(db.session.scalars(sa.select(Ticket.status)))
        assert set(statuses) == set(STATUSES)
        notes = Counter(db.session.scalars(sa.select(TicketNote.kind)))
        assert notes["note"] and notes["resolution"] and notes["callback"]
        complaints = db.session.scalars(
            sa.select(Ticket).where(Ticket.type == "complaint", Ticket.call_sid.like("CAweek%"))
        )
        assert all(ticket.has_message and ticket.recordings for ticket in complaints)
        week = list(db.session.scalars(sa.select(Ticket).where(Ticket.call_sid.like("CAweek%"))))
        assert all(ticket.ivr_path and ticket.ivr_path[0]["from"] == "language" for ticket in week)
        states = Counter(db.session.scalars(sa.select(Callback.state)))
        assert states["done"] and states["no_answer"] and states["booked"]
    assert re.search(r"Staff login: http://127\.0\.0\.1:\d+/staff/login", demo)
    assert "run .venv/bin/flask --app app users password EMAIL" in demo
    assert re.search(r"Demo week: 3000 calls .* [1-9]\d* callbacks moved by a closure", demo)


def every_staff_page_shows_the_week(app, log_in) -> None:  # type: ignore[no-untyped-def]
    """Check the desk, the dashboard, the wallboard, the audit log and the editor show it."""
    supervisor = log_in("supervisor", "")
    agent = log_in("agent", "fr es")
    editor = log_in("editor", "")
    with app.app_context():
        reference = db.session.scalar(
            sa.select(Ticket.reference)
            .where(Ticket.language == "fr", Ticket.status == "new")
            .order_by(Ticket.queue_key, Ticket.id)
        )
    queue = agent.get("/tickets/").get_data(as_text=True)
    assert reference in queue
    dashboard = supervisor.get("/reports/?from=2026-11-24&to=2026-12-01").get_data(as_text=True)
    assert re.search(r"\b3\W?005\b", dashboard)  # the week's calls and today's five
    # Callers answered the satisfaction survey: the figures have something to show.
    assert 'data-figure="satisfaction-agent"' in dashboard
    assert 'data-figure="satisfaction-language"' in dashboard
    floor = supervisor.get("/reports/floor.json").get_json()
    assert floor
    audit = supervisor.get("/staff/audit").get_data(as_text=True)
    assert "agent.fr@example.org" in audit and "agent.ar@example.org" in audit
    unmatched = editor.get("/guide/editor/unmatched").get_data(as_text=True)
    assert "transfert d&#39;argent vers le maroc" in unmatched or "transfert d'argent" in unmatched
    assert "\u0637\u0631\u062f" in unmatched  # the Arabic phrase (a parcel)


def test_a_second_run_changes_nothing(app, runner, demo):
    counts = row_counts(app)
    again = runner.invoke(args=["setup", "--demo"])
    assert again.exit_code == 0, again.output
    assert "Demo week already present." in again.output
    assert row_counts(app) == counts
