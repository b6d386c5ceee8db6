"""The desk's queue: the tickets an agent may see, filtered, searched and paged by keyset.

The most urgent come first: tickets still to handle whose warning time has passed (breached,
then breaching: their due times are the soonest), then every other ticket, each part by due
time (`queue_key`), ties by age (ids are handed out as tickets open). Paging follows the
`(queue_key, id)` index within each part, so the millionth ticket costs what the first does:
a page is "the next 50 after this key", never an OFFSET that reads and drops rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from werkzeug.datastructures import MultiDict

from centre import languages
from centre.clock import CENTRE_TZ, now, to_storage
from centre.extensions import db
from staff.models import StaffUser
from tickets.models import (
    ACTIVE_PREDICATE,
    ACTIVE_STATUSES,
    STATUSES,
    TYPES,
    Recording,
    Ticket,
    TicketNote,
)

PAGE_SIZE = 50
COUNT_CAP = 1000
NARROW_DAYS = 62
REFERENCE = re.compile(r"^\d{9}$")
NUMBER = re.compile(r"^#?(\d{1,8})$")
# Who works the desk; of them, who sees every language (an agent sees only their own).
DESK_ROLES = ("agent", "supervisor", "admin")
ALL_LANGUAGES_ROLES = ("supervisor", "admin")


def visible_languages(user: StaffUser) -> list[str]:
    """Return the languages whose tickets `user` may see: their own, or all for supervisors."""
    if user.role in ALL_LANGUAGES_ROLES:
        return list(languages.CODES)
    return [code for code in user.language_codes if code in languages.BY_CODE]


def can_see(user: StaffUser, ticket: Ticket) -> bool:
    """Tell whether `user` may open `ticket`."""
    return user.role in DESK_ROLES and ticket.language in visible_languages(user)


@dataclass(frozen=True)
class Filters:
    """What the agent asked the queue for."""

    type: str = ""
    status: str = "active"  # active (new, open, waiting), all, or one status
    language: str = ""
    country: str = ""
    day_from: date | None = None
    day_to: date | None = None
    search: str = ""
    mine: bool = False

    @classmethod
    def from_args(cls, args: MultiDict[str, str]) -> Filters:
        """Read the filters from a query string, ignoring values that make no sense."""
        status = args.get("status", "active")
        return cls(
            type=args.get("type", "") if args.get("type") in TYPES else "",
            status=status if status in (*STATUSES, "active", "all") else "active",
            language=args.get("language", "") if args.get("language") in languages.BY_CODE else "",
            country=args.get("country", "").strip().upper()[:2],
            day_from=_day(args.get("from")),
            day_to=_day(args.get("to")),
            search=args.get("q", "").strip()[:100],
            mine=args.get("mine") == "1",
        )

    def as_args(self) -> dict[str, str]:
        """Return the filters as query-string values (for the next page's link)."""
        values = {
            "type": self.type,
            "status": self.status,
            "language": self.language,
            "country": self.country,
            "from": self.day_from.isoformat() if self.day_from else "",
            "to": self.day_to.isoformat() if self.day_to else "",
            "q": self.search,
            "mine": "1" if self.mine else "",
        }
        return {key: value for key, value in values.items() if value}


def _day(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _start_of(day: date) -> datetime:
    return to_storage(datetime.combine(day, time(0), CENTRE_TZ))


def _conditions(user: StaffUser, filters: Filters) -> list[sa.ColumnElement[bool] | sa.TextClause]:
    allowed = visible_languages(user)
    chosen = [filters.language] if filters.language in allowed else allowed
    conditions: list[sa.ColumnElement[bool] | sa.TextClause] = [Ticket.language.in_(chosen)]
    if filters.status == "active":
        # Written as the partial indexes' predicate, so the planner uses them.
        conditions.append(sa.text(f"tickets.{ACTIVE_PREDICATE}"))
    elif filters.status != "all":
        conditions.append(Ticket.status == filters.status)
    if filters.status in ("active", *ACTIVE_STATUSES):
        conditions.append(Ticket.merged_into_id.is_(None))
    if filters.type:
        conditions.append(Ticket.type == filters.type)
    if filters.country:
        conditions.append(Ticket.country == filters.country)
    if filters.day_from:
        conditions.append(Ticket.created_at >= _start_of(filters.day_from))
    if filters.day_to:
        conditions.append(Ticket.created_at < _start_of(filters.day_to + timedelta(days=1)))
    if filters.mine:
        conditions.append(Ticket.assignee_id == user.id)
    if filters.search:
        conditions.append(_search(filters.search))
    return conditions


def _search(text: str) -> sa.ColumnElement[bool]:
    """Match a reference, a ticket number (#123), or words in the ticket's notes or transcripts."""
    if REFERENCE.match(text):
        return Ticket.reference == text
    number = NUMBER.match(text)
    if number:
        return Ticket.id == int(number.group(1))
    notes = sa.select(TicketNote.id).where(
        TicketNote.ticket_id == Ticket.id, TicketNote.body.icontains(text, autoescape=True)
    )
    heard = sa.select(Recording.id).where(
        Recording.ticket_id == Ticket.id, Recording.transcript.icontains(text, autoescape=True)
    )
    return sa.or_(sa.exists(notes), sa.exists(heard))


def _narrow_dates(filters: Filters) -> bool:
    """Tell whether the date filter spans at most NARROW_DAYS."""
    if filters.day_from is None or filters.day_to is None:
        return False
    return (filters.day_to - filters.day_from).days <= NARROW_DAYS


@dataclass(frozen=True)
class Page:
    """One page of the queue, and the key of the next one."""

    tickets: list[Ticket]
    next_after: str | None
    total: int
    capped: bool


URGENT, LATER = 0, 1  # the queue's two parts: past the warning time, and the rest


def parse_after(raw: str | None) -> tuple[int, int, int] | None:
    """Return the (part, queue_key, id) a page starts after, from "part.key.id"."""
    if not raw:
        return None
    parts = raw.split(".")
    try:
        part, key, ident = (int(p) for p in parts) if len(parts) == 3 else (0, 0, 0)
    except ValueError:
        return None
    return (part, key, ident) if part in (URGENT, LATER) and ident else None


def _urgent(moment: datetime) -> sa.ColumnElement[bool]:
    """Return the tickets past their warning time that are still to handle, as SQL."""
    return sa.and_(Ticket.status.in_(ACTIVE_STATUSES), Ticket.warn_at <= to_storage(moment))


def _part_of(ticket: Ticket, moment: datetime) -> int:
    """Return the queue part of `ticket` (as `_urgent` decides it in SQL)."""
    warned = ticket.warn_at is not None and ticket.warn_at <= to_storage(moment)
    return URGENT if ticket.status in ACTIVE_STATUSES and warned else LATER


def page(user: StaffUser, filters: Filters, after: tuple[int, int, int] | None = None) -> Page:
    """Return the page of the queue after `after` (keyset): the most urgent first."""
    moment = now()
    conditions = _conditions(user, filters)
    key: sa.ColumnElement[int] | so.QueryableAttribute[int] = Ticket.queue_key
    if _narrow_dates(filters):
        # A few weeks of tickets: read them by date and sort them, rather than walk the whole
        # queue index looking for them (the planner cannot tell the two columns correlate).
        key = Ticket.queue_key + 0
    urgent = _urgent(moment)
    rows: list[Ticket] = []
    for part, where in ((URGENT, urgent), (LATER, sa.not_(sa.func.coalesce(urgent, False)))):
        if after is not None and after[0] > part:
            continue
        query = sa.select(Ticket).where(*conditions, where)
        if after is not None and after[0] == part:
            query = query.where(sa.tuple_(key, Ticket.id) > sa.tuple_(after[1], after[2]))
        wanted = PAGE_SIZE + 1 - len(rows)
        rows += db.session.scalars(query.order_by(key, Ticket.id).limit(wanted))
        if len(rows) > PAGE_SIZE:
            break
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    last = rows[-1] if rows else None
    following = f"{_part_of(last, moment)}.{last.queue_key}.{last.id}" if more and last else None
    counted = sa.select(Ticket.id).where(*conditions).limit(COUNT_CAP + 1).subquery()
    total = db.session.scalar(sa.select(sa.func.count()).select_from(counted)) or 0
    return Page(rows, following, min(total, COUNT_CAP), total > COUNT_CAP)
