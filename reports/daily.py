"""Per-day summaries of the dashboard's figures: kept true by recomputation, never by counting.

A past Moroccan day whose calls have all ended is summarised once (a `ReportDay`: every
figure of the day, recomputed from its calls and tickets) so that a year is added up from
365 small rows rather than a million calls. A summary is used only while it is still
true:

- any later change to a row of that day (a status callback, a ticket resolved or merged,
  a note, anonymisation) adds a `ReportMark` for the day in the same transaction, whether
  made through the ORM, by an ORM UPDATE/DELETE statement, or by the webhooks' plain
  statements on a call (`mark_past_call`): a marked day is computed from its rows again;
- a ticket of the day still within its SLA falls due at a known time (`valid_until`);
  after it, the day is computed again.

Recomputing a day first deletes its marks, then reads the rows: a change committed
before the deletion is in the rows read; one committed after it leaves its mark behind.
One transaction at a time summarises (a PostgreSQL advisory lock; SQLite has one writer).
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from centre.clock import CENTRE_TZ, now, to_storage
from centre.extensions import db
from ivr.models import Call
from reports.models import ReportDay, ReportMark
from reports.sql import hour_bucket
from tickets.models import Ticket, TicketNote

# The shape of `ReportDay.figures`: bump it when it changes, and every summary is redone.
VERSION = 1
# Key of the PostgreSQL advisory lock that lets one transaction at a time write summaries.
SUMMARY_LOCK = 0x7265706F727473  # "reports"

DayFigures = dict[str, Counter[str]]


@dataclass
class Collected:
    """Figures gathered from the rows, per Moroccan day, and what a summary must know of them."""

    days: dict[date, DayFigures]
    # Calls of the day that have not ended (or whose end Twilio never reported).
    unended: Counter[date] = field(default_factory=Counter)
    # When the day's first ticket still in time falls due (its SLA state then changes).
    valid_until: dict[date, datetime] = field(default_factory=dict)


def day_start(day: date) -> datetime:
    """Return the first instant of a Moroccan day, as stored (naive UTC)."""
    return to_storage(datetime.combine(day, time(0), CENTRE_TZ))


def local_day(stored: datetime) -> date:
    """Return the Moroccan day of a stored (naive UTC) timestamp."""
    return stored.replace(tzinfo=UTC).astimezone(CENTRE_TZ).date()


def _day(stored: datetime | str) -> date:
    return local_day(datetime.fromisoformat(stored) if isinstance(stored, str) else stored)


def _today() -> date:
    return now().astimezone(CENTRE_TZ).date()


def load(first: date, last: date, moment: datetime) -> dict[date, DayFigures]:
    """Return the up-to-date summaries of the days from `first` to `last`."""
    if last < first:
        return {}
    marked = sa.select(ReportMark.id).where(ReportMark.day == ReportDay.day)
    rows = db.session.execute(
        sa.select(ReportDay.day, ReportDay.figures).where(
            ReportDay.day >= first,
            ReportDay.day <= last,
            ReportDay.version == VERSION,
            sa.or_(ReportDay.valid_until.is_(None), ReportDay.valid_until > to_storage(moment)),
            ~marked.exists(),
        )
    )
    return {
        day: {figure: Counter(counts) for figure, counts in figures.items()}
        for day, figures in rows
    }


def _chunks(days: Iterable[date], size: int = 500) -> Iterable[list[date]]:
    ordered = sorted(days)
    return (ordered[n : n + size] for n in range(0, len(ordered), size))


def _lock(wait: bool) -> bool:
    """Take the right to write summaries until the transaction ends; False if someone has it."""
    if db.session.get_bind().dialect.name != "postgresql":
        return True  # SQLite lets one writer at a time anyway
    if wait:
        db.session.execute(sa.select(sa.func.pg_advisory_xact_lock(SUMMARY_LOCK)))
        return True
    return bool(db.session.scalar(sa.select(sa.func.pg_try_advisory_xact_lock(SUMMARY_LOCK))))


def _clear_marks(days: Iterable[date]) -> None:
    for chunk in _chunks(days):
        db.session.execute(
            sa.delete(ReportMark).where(ReportMark.day.in_(chunk)),
            execution_options={"synchronize_session": False},
        )


def claim(days: Iterable[date], today: date) -> bool:
    """Take the right to summarise the past `days` now, clearing their marks; False if taken."""
    if not _lock(wait=False):
        return False
    _clear_marks(day for day in days if day < today)
    return True


def save(collected: Collected, today: date, moment: datetime) -> int:
    """Write the summaries of the collected past days whose calls have all ended; count them."""
    past = [day for day in collected.days if day < today]
    for chunk in _chunks(past):
        db.session.execute(
            sa.delete(ReportDay).where(ReportDay.day.in_(chunk)),
            execution_options={"synchronize_session": False},
        )
    rows: list[dict[str, Any]] = [
        {
            "day": day,
            "version": VERSION,
            "computed_at": to_storage(moment),
            "valid_until": collected.valid_until.get(day),
            "figures": {figure: dict(counts) for figure, counts in collected.days[day].items()},
        }
        for day in past
        if not collected.unended[day]
    ]
    if rows:
        db.session.execute(sa.insert(ReportDay), rows)
    return len(rows)


def begin_refresh(
    first: date, last: date, moment: datetime
) -> tuple[dict[date, DayFigures], list[date]]:
    """Take the summaries' lock; return the up-to-date days and those to summarise again."""
    _lock(wait=True)
    current = load(first, last, moment)
    missing = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    missing = [day for day in missing if day not in current]
    _clear_marks(missing)
    # Marks of days without a summary say nothing: such days are computed from their rows.
    summarised = sa.select(ReportDay.day).where(ReportDay.day == ReportMark.day)
    db.session.execute(
        sa.delete(ReportMark).where(~summarised.exists()),
        execution_options={"synchronize_session": False},
    )
    return current, missing


# --- marks: a change to a past day's rows ------------------------------------------------


def _moment_of(row: object, session: Session) -> datetime | None:
    if isinstance(row, Call):
        return row.started_at
    if isinstance(row, Ticket):
        return row.created_at
    if isinstance(row, TicketNote):
        with session.no_autoflush:
            ticket = row.ticket or (session.get(Ticket, row.ticket_id) if row.ticket_id else None)
        return ticket.created_at if ticket is not None else None
    return None


def _mark(session: Session, days: Iterable[date]) -> None:
    at = to_storage(now())
    for day in sorted(set(days)):
        session.add(ReportMark(day=day, marked_at=at))


def mark_past_call(session: Session, started_at: datetime) -> None:
    """Mark the day of a call changed by a plain statement (a webhook's step) if it is past."""
    day = _day(started_at)
    if day < _today():
        _mark(session, [day])


def mark_past_ticket(session: Session, created_at: datetime) -> None:
    """Mark the day a ticket changed by a plain statement was opened, if it is past."""
    day = _day(created_at)
    if day < _today():
        _mark(session, [day])


def mark_changed_rows(session: Session, context: UOWTransaction, instances: object) -> None:
    """Mark the past days whose calls, tickets or notes this flush adds, changes or deletes."""
    rows = itertools.chain(session.new, session.dirty, session.deleted)
    watched = [row for row in rows if isinstance(row, Call | Ticket | TicketNote)]
    if not watched:
        return
    today = _today()
    days = {_day(moment) for row in watched if (moment := _moment_of(row, session)) is not None}
    _mark(session, (day for day in days if day < today))


def mark_changed_by_statement(state: ORMExecuteState) -> None:
    """Mark the past days of the rows an UPDATE or DELETE statement is about to change."""
    if not (state.is_update or state.is_delete):
        return
    for mapper in state.all_mappers:
        if mapper.class_ not in (Call, Ticket, TicketNote):
            continue
        column = Call.started_at if mapper.class_ is Call else Ticket.created_at
        query = sa.select(hour_bucket(column)).distinct()
        if mapper.class_ is TicketNote:
            query = query.select_from(TicketNote).join(Ticket, TicketNote.ticket_id == Ticket.id)
        where = state.statement.whereclause  # type: ignore[attr-defined]  # an ORM query: a Select
        if where is not None:
            query = query.where(where)
        elif isinstance(state.parameters, list):  # an UPDATE by primary key, row by row
            ids = [p["id"] for p in state.parameters if "id" in p]
            query = query.where(mapper.class_.id.in_(ids))
        query = query.where(column < day_start(_today()))
        buckets = state.session.execute(query).scalars().all()
        _mark(state.session, (_day(bucket) for bucket in buckets))
