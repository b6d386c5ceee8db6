"""Service levels: a due time per ticket type, counted in opening hours, and the queue's order.

A complaint opened on Friday at 19:00 with 24 open hours to go falls due on Tuesday at
19:00 (an hour on Friday, twelve on Monday, eleven on Tuesday), not on Saturday. A ticket stands out once three quarters of its time is gone.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from centre import calendar
from centre.clock import from_storage, to_storage
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
# queue_key = bucket * SPAN + seconds; buckets: live escalations, callbacks, the rest.
SPAN = 10**10


def after_open_time(start: datetime, seconds: float) -> datetime:
    """Return the moment `seconds` of opening hours after `start` (aware)."""
    left = seconds
    for opens, closes in calendar.open_intervals(start, start + HORIZON):
        length = (closes - opens).total_seconds()
        if length >= left:
            return opens + timedelta(seconds=left)
        left -= length
    return start + HORIZON  # the centre never opens in the horizon: due at its end


def set_due(ticket: Ticket) -> None:
    """Set the ticket's due and warning times from its type (and booking, for a callback)."""
    created = from_storage(ticket.created_at)
    assert created is not None
    if ticket.type == "callback" and ticket.callback is not None:
        scheduled = from_storage(ticket.callback.scheduled_at)
        assert scheduled is not None
        ticket.warn_at = to_storage(scheduled)
        ticket.due_at = to_storage(after_open_time(scheduled, OPEN_HOURS["callback"] * 3600))
    else:
        allowed = OPEN_HOURS.get(ticket.type, 24) * 3600
        ticket.warn_at = to_storage(after_open_time(created, allowed * WARN_FRACTION))
        ticket.due_at = to_storage(after_open_time(created, allowed))
    ticket.queue_key = queue_key(ticket)


def queue_key(ticket: Ticket) -> int:
    """Return the ticket's place: newest escalations, then callbacks due soonest, then by SLA."""
    if ticket.type == "escalated_call":
        return SPAN - int(_epoch(ticket.created_at))
    if ticket.type == "callback" and ticket.callback is not None:
        return SPAN + int(_epoch(ticket.callback.scheduled_at))
    return 2 * SPAN + int(_epoch(ticket.due_at or ticket.created_at))


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
    if due is None:
        return 0.0
    if due >= moment:
        return calendar.open_seconds_between(moment, due)
    return -calendar.open_seconds_between(due, moment)
