"""Per-day summaries of the dashboard: equal to the live figures, and never left stale."""

# ruff: noqa: F811  (the fixtures imported from test_reports)

from __future__ import annotations

import random
from datetime import UTC, date, timedelta

import pytest
import sqlalchemy as sa
from helpers import resolve_on_desk
from test_reports import (  # noqa: F401  (fixtures)
    EXPECTED_PAGE,
    dashboard_tables,
    known_data,
    local,
    record_call,
    summarised_days,
)

from centre.clock import to_storage
from centre.extensions import db
from reports import daily, figures
from reports.models import ReportDay, ReportMark
from tickets.models import Ticket, TicketNote

LANGUAGES = ["fr", "ar", "es", "it", "nl", "de", "en", None]
COUNTRIES = ["FR", "BE", "ES", "DE", "IT", "NL"]
OUTCOMES = ["self_service", "escalated", "abandoned", "failed", "busy"]
RESULTS = ["bridged", "hangup", "leave", None]
GUIDE = ["passport", "national-id-card", "birth-certificate", None, None]


@pytest.fixture
def many_calls(app, record_call, time_machine):  # type: ignore[no-untyped-def]  # noqa: F811
    """Record three weeks of varied calls and tickets (every call ended), seeded."""
    pick = random.Random(7)
    first = date(2026, 11, 13)
    for _ in range(400):
        day = first + timedelta(days=pick.randrange(21))
        at = f"{day.isoformat()}T{pick.randrange(24):02d}:{pick.randrange(60):02d}"
        outcome = pick.choice(OUTCOMES)
        queued = outcome in ("escalated", "abandoned") and pick.random() < 0.8
        record_call(
            at,
            pick.choice(LANGUAGES),
            pick.choice(COUNTRIES),
            outcome,
            pick.randrange(0, 400) if queued else None,
            pick.choice(RESULTS) if queued else None,
            guide=pick.choice(GUIDE),
        )
    with app.app_context():
        from tickets.models import STATUSES, TYPES

        for n in range(120):
            created = local(f"{(first + timedelta(days=pick.randrange(21))).isoformat()}T10:00")
            created += timedelta(minutes=pick.randrange(24 * 60))
            status = pick.choice(STATUSES)
            ticket = Ticket(
                reference=f"{n:09d}",
                type=pick.choice(TYPES),
                status=status,
                language="fr",
                caller_masked="+33*******78",
                created_at=to_storage(created),
                updated_at=to_storage(created + timedelta(hours=pick.randrange(1, 72))),
                due_at=to_storage(created + timedelta(hours=pick.randrange(1, 600))),
            )
            db.session.add(ticket)
            if status in ("resolved", "closed") and pick.random() < 0.7:
                db.session.add(
                    TicketNote(
                        ticket=ticket,
                        kind="resolution",
                        body="Done.",
                        created_at=to_storage(created + timedelta(hours=pick.randrange(1, 72))),
                    )
                )
        db.session.commit()
    time_machine.move_to(local("2026-12-04T12:00"), tick=False)


PERIODS = [("2026-11-13", "2026-12-03"), ("2026-11-20", "2026-12-04"), ("2026-09-01", "2026-12-31")]


@pytest.mark.parametrize(("first", "last"), PERIODS)
def test_summarised_figures_equal_the_figures_computed_from_the_rows(
    app, many_calls, runner, first, last
):
    period = figures.Period(date.fromisoformat(first), date.fromisoformat(last))
    with app.app_context():
        live = figures.compute(period)
        assert not daily.load(period.first, period.last, local("2026-12-04T12:00"))
    result = runner.invoke(args=["reports", "refresh"])
    assert "Days summarised: 21" in result.output
    assert "Days left to live" not in result.output
    with app.app_context():
        moment = local("2026-12-04T12:00")
        stored = daily.load(period.first, min(period.last, date(2026, 12, 3)), moment)
        assert len(stored) == len(
            [d for d in period.days if date(2026, 11, 13) <= d <= date(2026, 12, 3)]
        )
        summarised = figures.compute(period)
    assert summarised == live
    assert sum(live.outcomes.values()) > 0 and live.waits["all"].count > 0 and live.guide


def test_a_ticket_resolved_on_the_desk_marks_its_day_and_the_dashboard_counts_it_again(
    known_data, app, log_in, runner
):
    assert runner.invoke(args=["reports", "refresh"]).exit_code == 0
    assert summarised_days(app) == ["2026-11-30", "2026-12-01", "2026-12-02"]
    agent_client = log_in("agent", "fr")
    with app.app_context():
        suggestion = db.session.scalars(sa.select(Ticket).where(Ticket.type == "suggestion")).one()
        ticket_id = suggestion.id
    saved = resolve_on_desk(app, agent_client, ticket_id, "Merci, transmis.")
    assert saved.status_code == 302
    with app.app_context():
        assert set(db.session.scalars(sa.select(ReportMark.day))) == {date(2026, 12, 2)}
    tables = dashboard_tables(log_in("supervisor", "", locale="en"))
    assert tables["tickets"][2] == ["Suggestion", "0", "0", "0", "1", "0", "1"]
    with app.app_context():  # the dashboard summarised the day again on the way
        assert not db.session.scalars(sa.select(ReportMark)).all()
        figures_now = db.session.get(ReportDay, date(2026, 12, 2)).figures
        assert figures_now["ticket"]["suggestion resolved"] == 1


def test_an_update_statement_on_a_past_day_marks_it_and_the_change_is_counted(
    known_data, app, log_in, runner
):
    assert runner.invoke(args=["reports", "refresh"]).exit_code == 0
    assert summarised_days(app) == ["2026-11-30", "2026-12-01", "2026-12-02"]
    with app.app_context():
        db.session.execute(
            sa.update(Ticket)
            .where(Ticket.type == "suggestion")
            .values(status="closed", version=Ticket.version + 1),
            execution_options={"synchronize_session": False},
        )
        db.session.commit()
        assert set(db.session.scalars(sa.select(ReportMark.day))) == {date(2026, 12, 2)}
    tables = dashboard_tables(log_in("supervisor", "", locale="en"))
    assert tables["tickets"][2] == ["Suggestion", "0", "0", "0", "0", "1", "1"]


def test_changes_to_today_leave_no_mark(known_data, app, time_machine):
    time_machine.move_to(local("2026-12-03T12:00"), tick=False)
    with app.app_context():
        # The fixture's own writes may have marked days that were past when it ran: start clean,
        # so that only this change, made on the day it belongs to, is looked at.
        db.session.execute(sa.delete(ReportMark))
        db.session.commit()
        still_open = db.session.scalars(sa.select(Ticket).where(Ticket.language == "ar")).one()
        still_open.status = "waiting"
        db.session.commit()
        assert not db.session.scalars(sa.select(ReportMark)).all()


def test_a_summarised_ticket_still_in_time_counts_as_breached_once_it_falls_due(
    known_data, app, log_in, runner, time_machine
):
    runner.invoke(args=["reports", "refresh"])
    with app.app_context():
        suggestion = db.session.scalars(sa.select(Ticket).where(Ticket.type == "suggestion")).one()
        due = suggestion.due_at
        assert db.session.get(ReportDay, date(2026, 12, 2)).valid_until == due
    client = log_in("supervisor", "", locale="en")
    assert dashboard_tables(client)["sla"][2] == ["Suggestion", "0", "0", "1"]
    time_machine.move_to((due + timedelta(seconds=1)).replace(tzinfo=UTC), tick=False)
    client = log_in("supervisor", "", locale="en")
    assert dashboard_tables(client)["sla"][2] == ["Suggestion", "0", "1", "0"]


def test_the_dashboard_summarises_the_past_days_it_computes_then_reads_them(
    known_data, app, log_in
):
    client = log_in("supervisor", "", locale="en")
    assert dashboard_tables(client) == EXPECTED_PAGE
    assert summarised_days(app) == ["2026-12-01", "2026-12-02"]  # 3 December: a call not ended
    with app.app_context():
        computed = dict(db.session.execute(sa.select(ReportDay.day, ReportDay.computed_at)).all())
    assert dashboard_tables(client) == EXPECTED_PAGE
    with app.app_context():
        assert (
            dict(db.session.execute(sa.select(ReportDay.day, ReportDay.computed_at)).all())
            == computed
        )


def test_refresh_from_a_given_day_and_a_bad_date(known_data, runner):
    result = runner.invoke(args=["reports", "refresh", "--since", "2026-12-02"])
    assert result.exit_code == 0, result.output
    assert "Days summarised: 1\n" in result.output
    again = runner.invoke(args=["reports", "refresh", "--since", "2026-12-01"])
    assert "Days summarised: 1\n" in again.output and "Days already up to date: 1" in again.output
    bad = runner.invoke(args=["reports", "refresh", "--since", "yesterday"])
    assert bad.exit_code == 2 and "--since takes a date" in bad.output


def test_a_step_after_midnight_marks_the_day_the_call_began(app, call, time_machine):
    time_machine.move_to(local("2026-12-02T23:58"), tick=False)
    phone = call()
    phone.dial()
    phone.press("2")  # French, the same day: nothing to mark
    with app.app_context():
        assert not db.session.scalars(sa.select(ReportMark)).all()
    time_machine.move_to(local("2026-12-03T00:01"), tick=False)
    turn = phone.press("*")
    assert "Menu principal" in turn.text
    with app.app_context():
        assert set(db.session.scalars(sa.select(ReportMark.day))) == {date(2026, 12, 2)}


def test_a_message_recorded_after_midnight_marks_the_day_its_ticket_was_opened(
    app, call, time_machine
):
    time_machine.move_to(local("2026-12-02T23:58"), tick=False)
    phone = call()
    phone.dial()
    phone.press("2")  # French
    phone.press("3")
    phone.press("1")  # a complaint: its ticket opened on 2 December
    phone.leave_message()
    with app.app_context():
        db.session.execute(sa.delete(ReportMark))
        db.session.commit()
    time_machine.move_to(local("2026-12-03T00:01"), tick=False)
    assert phone.recording_ready() == 200  # Twilio's callback, after midnight
    with app.app_context():
        assert db.session.scalars(sa.select(Ticket.has_message)).one()
        assert set(db.session.scalars(sa.select(ReportMark.day))) == {date(2026, 12, 2)}


def test_a_call_that_ends_after_midnight_marks_the_day_it_began(app, call, time_machine):
    time_machine.move_to(local("2026-12-02T23:58"), tick=False)
    phone = call()
    phone.dial()
    phone.press("2")
    time_machine.move_to(local("2026-12-03T00:01"), tick=False)
    with app.app_context():
        db.session.execute(sa.delete(ReportMark))
        db.session.commit()
    assert phone.hang_up() == 200  # Twilio's status callback, after midnight
    with app.app_context():
        assert set(db.session.scalars(sa.select(ReportMark.day))) == {date(2026, 12, 2)}
