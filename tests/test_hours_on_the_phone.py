"""What a caller pressing 0 gets at the edges of the opening hours."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from helpers import walk_to_main_menu

from centre.extensions import db

CALENDAR_TABLES = ("opening_hours", "holidays", "closures")


@pytest.mark.parametrize(
    ("moment", "queued"),
    [
        # Casablanca has kept UTC+0 since 20 September 2026 (tzdata 2026c).
        ("2026-12-01T19:59:00+00:00", True),  # Tuesday 19:59 in Casablanca
        ("2026-12-01T20:00:00+00:00", False),  # 20:00: closed
        ("2026-12-01T08:00:00+00:00", True),  # 08:00: open
        ("2026-12-01T07:59:00+00:00", False),  # 07:59: not yet
        ("2026-11-18T10:00:00+00:00", False),  # Independence Day, a Wednesday
        ("2026-03-04T19:30:00+00:00", True),  # Ramadan 2026: Casablanca on UTC+0, 19:30 local
        ("2026-04-15T19:30:00+00:00", False),  # after Ramadan, UTC+1: 20:30 local
    ],
)
def test_option_zero_queues_only_while_the_centre_is_open(call, time_machine, moment, queued):
    time_machine.move_to(moment, tick=False)
    phone = call()
    walk_to_main_menu(phone, "fr")
    turn = phone.press("0")
    assert (turn.enqueue is not None) is queued
    if not queued:
        assert turn.gather is not None  # the callback offer


def test_a_closure_added_from_the_shell_closes_the_queue(call, runner, time_machine):
    time_machine.move_to("2026-12-01T11:00:00+00:00", tick=False)  # 11:00 in Casablanca
    result = runner.invoke(
        args=["calendar", "close", "2026-12-01T10:30", "2026-12-01T12:00", "--kind", "maintenance"]
    )
    assert result.exit_code == 0, result.output
    phone = call()
    walk_to_main_menu(phone, "en")
    turn = phone.press("0")
    assert turn.enqueue is None
    assert "12:00" in turn.text  # back at noon, Moroccan time


@contextmanager
def calendar_reads(app) -> Iterator[Counter[str]]:  # type: ignore[no-untyped-def]
    """Count the SELECTs of each calendar table the app runs meanwhile."""
    reads: Counter[str] = Counter()

    def note(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        for table in CALENDAR_TABLES:
            if statement.lstrip().upper().startswith("SELECT") and f"FROM {table}" in statement:
                reads[table] += 1

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", note)
    try:
        yield reads
    finally:
        sa.event.remove(engine, "before_cursor_execute", note)


def test_a_closed_centre_reads_its_calendar_once_per_step(app, call, closed_hours):
    once = dict.fromkeys(CALENDAR_TABLES, 1)
    phone = call()
    phone.dial()
    with calendar_reads(app) as reads:
        welcome = phone.press("7")  # English: the welcome says when agents are back
    assert "Our agents are available again on Monday" in welcome.text
    assert reads == once
    with calendar_reads(app) as reads:
        offer = phone.press("0")  # no agent: the same sentences, then a callback is offered
    assert "Our agents are available again on Monday" in offer.text
    assert offer.enqueue is None and offer.gather is not None
    assert not reads  # the calendar did not change since: this worker's copy (centre.revisions)
