"""Callbacks: booked into open hours at the next free slot, served in the order callers asked.

A slot is a stretch of `CALLBACK_SLOT_MINUTES` within opening hours that takes at most
`CALLBACK_SLOT_CAPACITY` callbacks. Bookings are assigned greedily in priority order
(when the caller first asked for a person), so a caller who left the queue keeps their
place: ahead of those who queued after them, never ahead of those who queued before.
The usual booking, by the caller who asked last, moves nobody and reads only the last
slots booked; only a caller with an earlier place reassigns the callbacks after them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, gettext

from centre import calendar, languages, phones
from centre.clock import CENTRE_TZ, from_storage, now, to_storage
from centre.extensions import db
from centre.formatting import spoken_date, spoken_time
from centre.messaging import send_sms
from tickets import sla
from tickets.models import Callback, Ticket
from tickets.services import ticket_for_call

HORIZON = timedelta(days=60)  # callers hear "no callback time is free in the next two months"
# Key of the PostgreSQL advisory lock that lets one transaction at a time reassign slots.
REFLOW_LOCK = 0x63616C6C6261636B  # "callback"


class NoCallbackSlot(Exception):
    """Every callback slot within the booking horizon is full."""


@dataclass(frozen=True)
class Move:
    """A booked callback that had to change time."""

    ticket: Ticket
    old: datetime
    new: datetime


def slots(start: datetime, minutes: int) -> Iterator[datetime]:
    """Yield the start of every callback slot from `start` on, within opening hours."""
    length = timedelta(minutes=minutes)
    for opens, closes in calendar.open_intervals(start, start + HORIZON):
        # Slots keep a grid counted from the day's regular opening (08:00, 08:15, ... or, with
        # 45-minute slots, 08:00, 08:45, ...), also after a closure that ends off the grid.
        anchor = calendar.regular_opening(opens.date()) or opens.replace(
            hour=0, minute=0, second=0, microsecond=0
        )
        offset = (opens - anchor) % length
        slot = opens if not offset else opens + (length - offset)
        while slot + length <= closes:
            if slot >= start:
                yield slot
            slot += length


def _assign(bookings: list[Callback], start: datetime) -> dict[int, datetime]:
    """Give each booking, in priority order, the earliest slot with room after its request."""
    minutes = current_app.config["CALLBACK_SLOT_MINUTES"]
    capacity = current_app.config["CALLBACK_SLOT_CAPACITY"]
    taken: Counter[datetime] = Counter()
    grid = list(slots(start, minutes))
    assigned: dict[int, datetime] = {}
    for booking in sorted(bookings, key=lambda b: (b.priority_at, b.ticket_id)):
        earliest = from_storage(booking.not_before)
        slot = _first_with_room((s for s in grid if s >= earliest), taken, capacity)
        taken[slot] += 1
        assigned[booking.ticket_id] = slot
    return assigned


def _first_with_room(
    grid: Iterable[datetime], taken: Mapping[datetime, int], capacity: int
) -> datetime:
    """Return the first slot of `grid` holding fewer than `capacity` callbacks."""
    for slot in grid:
        if taken.get(slot, 0) < capacity:
            return slot
    raise NoCallbackSlot("no callback slot free within the booking horizon")


def _serialise() -> None:
    """Let one transaction at a time place callbacks, until it ends.

    Row locks cannot stop two bookings at once from each missing the other's new row and
    filling the same slot (or deadlocking). SQLite already serialises writers, and the new
    callback's ticket is written before this point.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.select(sa.func.pg_advisory_xact_lock(REFLOW_LOCK)))


def _reflow(start: datetime) -> list[Move]:
    """Reassign every callback not yet due; return the ones whose time changed.

    The caller has called `_serialise` first.
    """
    booked = db.session.scalars(
        sa.select(Callback).where(Callback.state == "booked").with_for_update()
    ).all()
    # Callbacks still to come, overdue ones whose time has since been closed, and those the
    # caller asked to be rung later than their time (an agent's "rescheduled").
    pending = [
        b
        for b in booked
        if from_storage(b.scheduled_at) >= start
        or b.not_before > b.scheduled_at
        or not calendar.is_open(from_storage(b.scheduled_at))
    ]
    moves = []
    assigned = _assign(pending, start)
    for booking in pending:
        new = assigned[booking.ticket_id]
        old = from_storage(booking.scheduled_at)
        if old != new:
            booking.scheduled_at = to_storage(new)
            # A caller is never moved earlier than the time they were last told.
            booking.not_before = to_storage(new)
            if booking.reminder == "sent":
                booking.reminder = "asked"  # the reminder was for the old time
            sla.set_due(booking.ticket)
            moves.append(Move(booking.ticket, old, new))
    return moves


def book(
    number: str,
    language: str,
    hash_key: str,
    priority_at: datetime,
    country: str | None = None,
    call_sid: str | None = None,
    source_key: str | None = None,
    ivr_path: list[dict[str, Any]] | None = None,
) -> Ticket:
    """Book a callback at the next free slot on the call's ticket (opened if need be); tell any caller whose slot moved.

    Raise `NoCallbackSlot` when every slot of the horizon is full (the ticket opened is
    then in the session: roll back, or book inside a savepoint).
    """
    ticket = ticket_for_call(
        "callback",
        language,
        number,
        hash_key,
        country=country,
        call_sid=call_sid,
        source_key=source_key,
        ivr_path=ivr_path,
        with_callback=True,
    )
    if ticket.callback is not None:
        return ticket  # a replayed request: already booked
    moment = now()
    _serialise()
    last_priority, last_slot, in_last_slot = db.session.execute(
        _LAST_BOOKED, {"booked": "booked", "moment": to_storage(moment)}
    ).one()
    ticket.callback = Callback(
        number=number,
        priority_at=to_storage(priority_at),
        not_before=to_storage(moment),
        scheduled_at=to_storage(moment + HORIZON),  # placeholder until placed below
    )
    if last_priority is None or last_priority <= ticket.callback.priority_at:
        # Nobody waiting asked after this caller (the usual case): no one moves, and the
        # caller goes in the first slot with room from the last one booked, never before it.
        after = max(moment, from_storage(last_slot)) if last_slot else moment
        # The last slot booked is the only one from `after` on that holds anybody.
        taken = {from_storage(last_slot): in_last_slot} if last_slot else {}
        slot = to_storage(_first_free_slot(after, taken))
        # The caller is told this time: a later reflow never brings them earlier than it.
        ticket.callback.scheduled_at = ticket.callback.not_before = slot
        moves = []
    else:
        # A caller who left the queue keeps their place: everyone after them may move.
        db.session.flush()
        moves = _reflow(moment)
    sla.set_due(ticket)
    notify_moves(moves, exclude=ticket.id)
    return ticket


def _last_booked() -> sa.Select[datetime, datetime, int]:
    """Return the read of the callbacks to come: the latest place asked, the last slot, its number."""
    to_come = sa.and_(
        Callback.state == sa.bindparam("booked"),
        Callback.scheduled_at >= sa.bindparam("moment", type_=Callback.scheduled_at.type),
    )
    last_slot = sa.select(sa.func.max(Callback.scheduled_at)).where(to_come).scalar_subquery()
    return sa.select(
        sa.func.max(Callback.priority_at),
        sa.func.max(Callback.scheduled_at),
        sa.func.count(sa.case((Callback.scheduled_at == last_slot, 1))),
    ).where(to_come)


# Before, two reads: the latest place and slot, then the slots from the last one with their
# number of callbacks, which only ever found the last slot's.
_LAST_BOOKED = _last_booked()


def _first_free_slot(after: datetime, taken: Mapping[datetime, int]) -> datetime:
    """Return the first slot from `after` on with room for one more callback (`taken`: booked ones)."""
    grid = slots(after, current_app.config["CALLBACK_SLOT_MINUTES"])
    return _first_with_room(grid, taken, current_app.config["CALLBACK_SLOT_CAPACITY"])


def reschedule(start: datetime | None = None) -> list[Move]:
    """Move callbacks out of newly closed time, notify their callers, return the moves."""
    _serialise()
    moves = _reflow(start or now())
    notify_moves(moves)
    return moves


def planned_moves(start: datetime | None = None) -> list[tuple[str, datetime, datetime]]:
    """Return (reference, old time, new time) of the callbacks a reschedule would move; change nothing."""
    savepoint = db.session.begin_nested()
    try:
        _serialise()
        return [(m.ticket.reference, m.old, m.new) for m in _reflow(start or now())]
    finally:
        savepoint.rollback()


def notify_moves(moves: list[Move], exclude: int | None = None) -> None:
    """Send each moved caller an SMS, in their language, giving the new time (theirs too)."""
    for move in moves:
        if move.ticket.id == exclude:
            continue
        language = languages.get(move.ticket.language)
        assert move.ticket.callback is not None  # only a booked callback moves
        number = move.ticket.callback.number
        with force_locale(language.code):
            times = _times(move.new, language, number)
            if "local_time" in times:
                body = gettext(
                    "Consular call centre: your callback %(reference)s has moved to %(date)s at "
                    "%(time)s (Moroccan time), that is %(local_date)s at %(local_time)s your "
                    "time.",
                    reference=move.ticket.reference,
                    **times,
                )
            else:
                body = gettext(
                    "Consular call centre: your callback %(reference)s has moved to %(date)s at "
                    "%(time)s (Moroccan time).",
                    reference=move.ticket.reference,
                    **times,
                )
        send_sms(number, body, language.code, "callback_moved")


def _times(moment: datetime, language: languages.Language, number: str) -> dict[str, str]:
    """Return `moment`'s Moroccan date and time, and the caller's own when their number tells it."""
    locale = language.babel_locale
    times = {
        "date": spoken_date(moment, locale, CENTRE_TZ),
        "time": spoken_time(moment, locale, CENTRE_TZ),
    }
    local = phones.local_zone_apart(phones.time_zones(number), moment)
    if local is not None:
        times |= {
            "local_date": spoken_date(moment, locale, local),
            "local_time": spoken_time(moment, locale, local),
        }
    return times


def confirm(ticket: Ticket) -> None:
    """Text the caller the time of the callback just booked, in their language and time."""
    language = languages.get(ticket.language)
    assert ticket.callback is not None  # called right after booking it
    when = from_storage(ticket.callback.scheduled_at)
    number = ticket.callback.number
    with force_locale(language.code):
        times = _times(when, language, number)
        if "local_time" in times:
            body = gettext(
                "Consular call centre: we will call you back on %(date)s at %(time)s (Moroccan "
                "time), that is %(local_date)s at %(local_time)s your time. Reference "
                "%(reference)s.",
                reference=ticket.reference,
                **times,
            )
        else:
            body = gettext(
                "Consular call centre: we will call you back on %(date)s at %(time)s (Moroccan "
                "time). Reference %(reference)s.",
                reference=ticket.reference,
                **times,
            )
    send_sms(number, body, language.code, "callback_booked")


def retry_unanswered(ticket: Ticket, not_before: datetime) -> datetime:
    """Book the next try of a callback nobody answered, from `not_before`; text the caller when.

    Return the new time. Raise `NoCallbackSlot` when the horizon is full.
    """
    booking = ticket.callback
    assert booking is not None  # only a booked callback is tried again
    booking.state = "booked"
    booking.not_before = to_storage(not_before)
    db.session.flush()
    _serialise()
    moves = _reflow(now())
    notify_moves(moves, exclude=ticket.id)
    when = from_storage(booking.scheduled_at)
    language = languages.get(ticket.language)
    with force_locale(language.code):
        times = _times(when, language, booking.number)
        if "local_time" in times:
            body = gettext(
                "Consular call centre: we called you but could not reach you. We will call you "
                "again on %(date)s at %(time)s (Moroccan time), that is %(local_date)s at "
                "%(local_time)s your time. Reference %(reference)s.",
                reference=ticket.reference,
                **times,
            )
        else:
            body = gettext(
                "Consular call centre: we called you but could not reach you. We will call you "
                "again on %(date)s at %(time)s (Moroccan time). Reference %(reference)s.",
                reference=ticket.reference,
                **times,
            )
    send_sms(booking.number, body, language.code, "callback_retry")
    return when


def give_up_unanswered(ticket: Ticket, tries: int) -> None:
    """Stop calling back a caller nobody reached `tries` times; text them to call again."""
    booking = ticket.callback
    assert booking is not None  # only a booked callback is given up
    booking.state = "no_answer"
    language = languages.get(ticket.language)
    with force_locale(language.code):
        body = gettext(
            "Consular call centre: we tried %(count)s times to call you back without reaching "
            "you. Please call us again when you can, with your reference %(reference)s.",
            count=tries,
            reference=ticket.reference,
        )
    send_sms(booking.number, body, language.code, "callback_unreached")


def ask_reminder(ticket_id: int) -> bool:
    """Note that the caller of this booked callback wants a text shortly before it; False if none."""
    booking = db.session.get(Callback, ticket_id)
    if booking is None or booking.state != "booked":
        return False
    booking.reminder = booking.reminder or "asked"
    return True


def send_reminders() -> int:
    """Text the callers who asked for it that their callback comes soon; return how many."""
    moment = now()
    soon = moment + timedelta(minutes=current_app.config["CALLBACK_REMINDER_MINUTES"])
    due_soon = db.session.scalars(
        sa.select(Callback).where(
            Callback.state == "booked",
            Callback.reminder == "asked",
            Callback.scheduled_at > to_storage(moment),
            Callback.scheduled_at <= to_storage(soon),
        )
    ).all()
    for booking in due_soon:
        ticket = booking.ticket
        language = languages.get(ticket.language)
        when = from_storage(booking.scheduled_at)
        with force_locale(language.code):
            times = _times(when, language, booking.number)
            if "local_time" in times:
                body = gettext(
                    "Consular call centre: a reminder, we will call you back today at %(time)s "
                    "(Moroccan time), that is %(local_time)s your time. Reference %(reference)s.",
                    reference=ticket.reference,
                    **times,
                )
            else:
                body = gettext(
                    "Consular call centre: a reminder, we will call you back today at %(time)s "
                    "(Moroccan time). Reference %(reference)s.",
                    reference=ticket.reference,
                    **times,
                )
        send_sms(booking.number, body, language.code, "callback_reminder")
        booking.reminder = "sent"
    return len(due_soon)
