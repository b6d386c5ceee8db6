"""Service levels: a due time per ticket type, counted in opening hours, and the queue's order.

A complaint opened on Friday at 19:00 with 24 open hours to go falls due on Tuesday at
19:00 (an hour on Friday, twelve on Monday, eleven on Tuesday), not on Saturday. A ticket stands out once three quarters of its time is gone.

The due time follows the calendar: when hours, a holiday or a closure change, every ticket
still to handle has its due time counted again from its start (`follow_calendar`); handled
tickets keep the one they were judged by. The queue puts the most urgent first: tickets past
their warning time (breached, then breaching), then the rest, each by due time.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import datetime, timedelta

import sqlalchemy as sa

from centre import calendar
from centre.clock import from_storage, to_storage
from centre.extensions import db
from tickets.models import ACTIVE_STATUSES, Ticket

# Opening hours allowed per ticket type; a callback is due at its booked time instead.
OPEN_HOURS = {
    "escalated_call": 2,
    "complaint": 24,
    "suggestion": 60,
    "observation": 60,
    "callback": 1,
}
WARN_FRACTION = 0.75
HORIZON = timedelta(days=120)
Intervals = list[tuple[datetime, datetime]]


def _after(intervals: Intervals, start: datetime, seconds: float) -> datetime:
    """Return the moment `seconds` of the open `intervals` after `start`, within the horizon."""
    left, end = seconds, start + HORIZON
    first = max(bisect_right(intervals, (start, start)) - 1, 0)  # the one holding `start`
    for opens, closes in intervals[first:]:
        opens, closes = max(opens, start), min(closes, end)
        if closes <= opens:
            if opens >= end:
                break
            continue
        length = (closes - opens).total_seconds()
        if length >= left:
            return opens + timedelta(seconds=left)
        left -= length
    return end  # the centre never opens in the horizon: due at its end


def _start(ticket: Ticket) -> datetime:
    """Return when the ticket's clock starts: its booked time for a callback, else its opening."""
    if ticket.type == "callback" and ticket.callback is not None:
        scheduled = from_storage(ticket.callback.scheduled_at)
        assert scheduled is not None
        return scheduled
    created = from_storage(ticket.created_at)
    assert created is not None
    return created


def _set_due_in(ticket: Ticket, intervals: Intervals) -> None:
    start = _start(ticket)
    if ticket.type == "callback" and ticket.callback is not None:
        ticket.warn_at = to_storage(start)
        ticket.due_at = to_storage(_after(intervals, start, OPEN_HOURS["callback"] * 3600))
    else:
        ticket.warn_at, ticket.due_at = _warn_and_due(ticket.type, intervals, start)
    ticket.queue_key = queue_key(ticket)


def _warn_and_due(type: str, intervals: Intervals, start: datetime) -> tuple[datetime, datetime]:
    allowed = OPEN_HOURS[type] * 3600
    warn_at = to_storage(_after(intervals, start, allowed * WARN_FRACTION))
    due_at = to_storage(_after(intervals, start, allowed))
    return warn_at, due_at


def opening_due(type: str, created_at: datetime) -> tuple[datetime, datetime, int]:
    """Return the warning time, due time and queue key of a `type` ticket opened at `created_at`.

    What `set_due` gives a ticket that is not a booked callback, for one about to be inserted
    without the ORM (`created_at` as stored).
    """
    start = from_storage(created_at)
    assert start is not None
    warn_at, due_at = _warn_and_due(type, _until_spent(start, OPEN_HOURS[type] * 3600), start)
    return warn_at, due_at, int(_epoch(due_at))


def set_due(ticket: Ticket) -> None:
    """Set the ticket's due and warning times from its type (and booking, for a callback)."""
    start = _start(ticket)
    _set_due_in(ticket, _until_spent(start, OPEN_HOURS[ticket.type] * 3600))


def _until_spent(start: datetime, seconds: float) -> Intervals:
    """Return the open intervals from `start` up to the one in which `seconds` of them are spent.

    The due time needs no more of the calendar than that (a few days, not the horizon's 120):
    the intervals start at `start` at the earliest, in order, so `_after` finds the same moment.
    """
    intervals: Intervals = []
    left = seconds
    for opens, closes in calendar.open_intervals(start, start + HORIZON):
        intervals.append((opens, closes))
        left -= (closes - opens).total_seconds()
        if left <= 0:
            break
    return intervals


def follow_calendar() -> None:
    """Count again the due times of every ticket still to handle.

    Called after any change to the hours, holidays or closures. The calendar is read once
    for all of them; handled (resolved, closed, merged) tickets keep theirs.
    """
    tickets = list(
        db.session.scalars(
            sa.select(Ticket).where(
                Ticket.status.in_(ACTIVE_STATUSES),
                Ticket.merged_into_id.is_(None),
                Ticket.due_at.is_not(None),
            )
        )
    )
    if not tickets:
        return
    starts = [_start(ticket) for ticket in tickets]
    intervals = list(calendar.open_intervals(min(starts), max(starts) + HORIZON))
    for ticket in tickets:
        _set_due_in(ticket, intervals)


def queue_key(ticket: Ticket) -> int:
    """Return the ticket's place in the queue: its due time (seconds), soonest first."""
    return int(_epoch(ticket.due_at or ticket.created_at))


def _epoch(moment: datetime) -> float:
    aware = from_storage(moment)
    assert aware is not None
    return aware.timestamp()


def is_running(ticket: Ticket) -> bool:
    """Tell whether the ticket's SLA runs: it has a due time and is still to handle."""
    return ticket.due_at is not None and ticket.status in ACTIVE_STATUSES


def standing(ticket: Ticket, moment: datetime) -> str:
    """Return "breached" from the due time on, "breaching" from the warning time, else ""."""
    if not is_running(ticket):
        return ""
    at = to_storage(moment)
    if ticket.due_at is not None and ticket.due_at <= at:
        return "breached"
    if ticket.warn_at is not None and ticket.warn_at <= at:
        return "breaching"
    return ""


def open_seconds_left(ticket: Ticket, moment: datetime) -> float:
    """Return the opening-hours seconds until the ticket falls due (negative once overdue)."""
    due = from_storage(ticket.due_at)
    assert due is not None, "asked only while the ticket's SLA runs (is_running)"
    if due >= moment:
        return calendar.open_seconds_between(moment, due)
    return -calendar.open_seconds_between(due, moment)
