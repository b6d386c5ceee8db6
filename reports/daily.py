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
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from centre.clock import CENTRE_TZ, now, to_storage
from centre.extensions import db
from ivr.models import Call
from reports.models import ReportDay, ReportMark
from reports.sql import hour_bucket
from tickets.models import Ticket, TicketNote

if TYPE_CHECKING:
    from reports.figures import Collected, DayFigures

# The shape of `ReportDay.figures`: bump it when it changes, and every summary is redone.
VERSION = 1
# Key of the PostgreSQL advisory lock that lets one transaction at a time write summaries.
SUMMARY_LOCK = 0x7265706F727473  # "reports"


def _day(stored: datetime | str) -> date:
    from reports.figures import local_day

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


@dataclass
class Refreshed:
    """What a refresh did."""

    summarised: int = 0
    up_to_date: int = 0
    live: list[date] | None = None


def refresh(since: date | None, moment: datetime | None = None) -> Refreshed:
    """Summarise every past day from `since` (the first call by default) not up to date."""
    from reports.figures import collect, runs

    moment = moment or now()
    today = moment.astimezone(CENTRE_TZ).date()
    if since is None:
        first_call = db.session.scalar(sa.select(sa.func.min(Call.started_at)))
        first_ticket = db.session.scalar(sa.select(sa.func.min(Ticket.created_at)))
        known = [_day(moment) for moment in (first_call, first_ticket) if moment is not None]
        since = min(known, default=today)
    last = today - timedelta(days=1)
    done = Refreshed(live=[])
    if since > last:
        return done
    _lock(wait=True)
    current = load(since, last, moment)
    missing = [since + timedelta(days=n) for n in range((last - since).days + 1)]
    missing = [day for day in missing if day not in current]
    _clear_marks(missing)
    # Marks of days without a summary say nothing: such days are computed from their rows.
    summarised = sa.select(ReportDay.day).where(ReportDay.day == ReportMark.day)
    db.session.execute(
        sa.delete(ReportMark).where(~summarised.exists()),
        execution_options={"synchronize_session": False},
    )
    for first, end in runs(missing):
        collected = collect(first, end, moment)
        done.summarised += save(collected, today, moment)
        done.live += sorted(day for day, count in collected.unended.items() if count)
    done.up_to_date = len(current)
    return done


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


@event.listens_for(Session, "before_flush")
def _mark_changed_rows(session: Session, context: UOWTransaction, instances: object) -> None:
    """Mark the past days whose calls, tickets or notes this flush adds, changes or deletes."""
    rows = itertools.chain(session.new, session.dirty, session.deleted)
    watched = [row for row in rows if isinstance(row, Call | Ticket | TicketNote)]
    if not watched:
        return
    today = _today()
    days = {_day(moment) for row in watched if (moment := _moment_of(row, session)) is not None}
    _mark(session, (day for day in days if day < today))


@event.listens_for(Session, "do_orm_execute")
def _mark_changed_by_statement(state: ORMExecuteState) -> None:
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
        where = state.statement.whereclause  # type: ignore[attr-defined]
        if where is not None:
            query = query.where(where)
        elif isinstance(state.parameters, list):  # an UPDATE by primary key, row by row
            ids = [p["id"] for p in state.parameters if "id" in p]
            query = query.where(mapper.class_.id.in_(ids))
        from reports.figures import day_start

        query = query.where(column < day_start(_today()))
        buckets = state.session.execute(query).scalars().all()
        _mark(state.session, (_day(bucket) for bucket in buckets))
