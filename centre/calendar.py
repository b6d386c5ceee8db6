"""When the centre is open: weekly hours, Moroccan public holidays, closures and maintenance.

All of it is data. Times of day are Moroccan local time (Africa/Casablanca, `centre.clock`:
Morocco's offset has changed with Ramadan and by decree, so no offset is ever written down here).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import holidays as holiday_tables
import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Flask
from flask_babel import lazy_gettext as _l

from centre import revisions
from centre.clock import CENTRE_TZ, from_storage
from centre.extensions import Model, db

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DEFAULT_HOURS = {weekday: (time(8), time(20)) for weekday in range(5)}


# The seeded holidays' names (as the `holidays` package writes them in English), as staff read
# them in their language; a holiday a supervisor adds keeps the name they typed.
HOLIDAY_NAMES = {
    "New Year's Day": _l("New Year's Day"),
    "Proclamation of Independence Day": _l("Proclamation of Independence Day"),
    "Amazigh New Year": _l("Amazigh New Year"),
    "Eid al-Fitr": _l("Eid al-Fitr"),
    "Labor Day": _l("Labor Day"),
    "Eid al-Adha": _l("Eid al-Adha"),
    "Islamic New Year": _l("Islamic New Year"),
    "Throne Day": _l("Throne Day"),
    "Oued Ed-Dahab Day": _l("Oued Ed-Dahab Day"),
    "Revolution Day": _l("Revolution Day"),
    "Youth Day": _l("Youth Day"),
    "Prophet's Birthday": _l("Prophet's Birthday"),
    "Unity Day": _l("Unity Day"),
    "Green March": _l("Green March"),
    "Independence Day": _l("Independence Day"),
}


class OpeningHours(Model):
    """The hours of one weekday (0 is Monday); a weekday without a row is closed."""

    __tablename__ = "opening_hours"
    weekday: so.Mapped[int] = so.mapped_column(primary_key=True, autoincrement=False)
    opens: so.Mapped[time]
    closes: so.Mapped[time]


class Holiday(Model):
    """A day of a public holiday; Islamic ones are estimated until a supervisor confirms them."""

    __tablename__ = "holidays"
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    day: so.Mapped[date] = so.mapped_column(index=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(120))
    islamic: so.Mapped[bool] = so.mapped_column(default=False)
    confirmed: so.Mapped[bool] = so.mapped_column(default=True)
    # "2027:Eid al-Fitr:2" for the second day of a seeded holiday: it stays the same when a
    # supervisor moves the day, so seeding again never brings the estimated date back.
    seed_key: so.Mapped[str | None] = so.mapped_column(sa.String(160), unique=True)

    @property
    def shown_name(self) -> str:
        """Return the holiday's name in the reader's language (a seeded one's), else as typed."""
        if self.seed_key and self.name in HOLIDAY_NAMES:
            return str(HOLIDAY_NAMES[self.name])
        return self.name


class Closure(Model):
    """A one-off closure or maintenance window, stored in UTC."""

    __tablename__ = "closures"
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(20), default="closure")
    starts_at: so.Mapped[datetime] = so.mapped_column(index=True)
    ends_at: so.Mapped[datetime] = so.mapped_column(index=True)
    reason: so.Mapped[str] = so.mapped_column(sa.String(200), default="")


def seed_hours() -> None:
    """Create the default weekly hours (Monday to Friday, 08:00-20:00) when none exist."""
    if db.session.scalar(sa.select(sa.func.count()).select_from(OpeningHours)):
        return
    for weekday, (opens, closes) in DEFAULT_HOURS.items():
        db.session.add(OpeningHours(weekday=weekday, opens=opens, closes=closes))


def seed_holidays(years: list[int]) -> int:
    """Add Morocco's public holidays for `years` that were never seeded; return how many."""
    known = set(
        db.session.scalars(sa.select(Holiday.seed_key).where(Holiday.seed_key.is_not(None)))
    )
    table = holiday_tables.country_holidays("MA", years=years, language="en_US")
    days_seen: dict[tuple[int, str], int] = {}
    added = 0
    for day, names in sorted(table.items()):
        for raw in names.split("; "):
            estimated = "(estimated)" in raw
            name = raw.replace(" (estimated)", "")
            ordinal = days_seen[(day.year, name)] = days_seen.get((day.year, name), 0) + 1
            key = f"{day.year}:{name}:{ordinal}"
            if key in known:
                continue
            db.session.add(
                Holiday(
                    day=day, name=name, islamic=estimated, confirmed=not estimated, seed_key=key
                )
            )
            added += 1
    return added


def move_holiday(holiday: Holiday, day: date | None) -> list[Holiday]:
    """Confirm a holiday, moving it (with its other days, e.g. Eid's second day) to start on `day`."""
    group = [holiday]
    if holiday.seed_key:
        year, name, _ = holiday.seed_key.split(":", 2)
        group = list(
            db.session.scalars(
                sa.select(Holiday)
                .where(Holiday.seed_key.like(f"{year}:{name}:%"))
                .order_by(Holiday.day)
            )
        )
    shift = (day - holiday.day) if day else None
    for member in group:
        if shift:
            member.day = member.day + shift
        member.confirmed = True
    return group


@dataclass(frozen=True)
class Calendar:
    """The whole calendar as one worker read it: weekly hours, holiday days, closures."""

    hours: dict[int, tuple[time, time]]
    holiday_days: frozenset[date]
    closures: tuple[tuple[datetime, datetime], ...]  # aware, by start


def _read_calendar() -> Calendar:
    """Read the calendar's three tables (a few dozen rows a year)."""
    hours = {
        row.weekday: (row.opens, row.closes) for row in db.session.scalars(sa.select(OpeningHours))
    }
    days = frozenset(db.session.scalars(sa.select(Holiday.day)))
    closures = tuple(
        (from_storage(c.starts_at), from_storage(c.ends_at))
        for c in db.session.scalars(sa.select(Closure).order_by(Closure.starts_at, Closure.id))
    )
    return Calendar(hours, days, closures)


# Read again only when a change to the calendar moved its revision (see centre.revisions).
REVISION = "calendar"
_calendar = revisions.Cached("calendar", REVISION, _read_calendar)


def open_intervals(start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Yield the open periods between `start` and `end` (aware), in Moroccan time, in order."""
    known = _calendar.get()
    hours = known.hours
    first_day = start.astimezone(CENTRE_TZ).date()
    last_day = end.astimezone(CENTRE_TZ).date()
    closures = [(a, b) for a, b in known.closures if b > start and a < end]
    day = first_day
    while day <= last_day:
        if day not in known.holiday_days and day.weekday() in hours:
            opens, closes = hours[day.weekday()]
            period_start = max(datetime.combine(day, opens, CENTRE_TZ), start).astimezone(CENTRE_TZ)
            period_end = min(datetime.combine(day, closes, CENTRE_TZ), end).astimezone(CENTRE_TZ)
            yield from _subtract(period_start, period_end, closures)
        day += timedelta(days=1)


def regular_opening(day: date) -> datetime | None:
    """Return when the centre opens on `day` by its weekly hours (aware, Moroccan time), if it does.

    Holidays and closures are not counted: this is the day's grid, not whether it is open.
    """
    hours = _calendar.get().hours
    if day.weekday() not in hours:
        return None
    return datetime.combine(day, hours[day.weekday()][0], CENTRE_TZ)


def _subtract(
    start: datetime, end: datetime, closures: list[tuple[datetime, datetime]]
) -> Iterator[tuple[datetime, datetime]]:
    cursor = start
    for closed_from, closed_to in closures:
        if closed_to <= cursor or closed_from >= end:
            continue
        if closed_from > cursor:
            yield cursor, closed_from.astimezone(CENTRE_TZ)
        cursor = max(cursor, closed_to.astimezone(CENTRE_TZ))
    if cursor < end:
        yield cursor, end


@dataclass(frozen=True)
class Availability:
    """Whether agents answer at a moment, and when they next do."""

    open: bool
    next_opening: datetime | None  # the moment itself while open; None past the horizon


def availability(moment: datetime, horizon_days: int = 60) -> Availability:
    """Tell whether agents answer at `moment` and when they next do, reading the calendar once."""
    opening = next_opening(moment, horizon_days)
    # Open periods start at `moment` exactly when it falls inside one (see `open_intervals`).
    return Availability(open=opening == moment, next_opening=opening)


def is_open(moment: datetime) -> bool:
    """Tell whether agents answer calls at `moment`."""
    return any(True for _ in open_intervals(moment, moment + timedelta(seconds=1)))


def next_opening(moment: datetime, horizon_days: int = 60) -> datetime | None:
    """Return when the centre is next open at or after `moment`, in Moroccan time."""
    for opens, _ in open_intervals(moment, moment + timedelta(days=horizon_days)):
        return opens
    return None


def open_seconds_between(start: datetime, end: datetime) -> float:
    """Return how many seconds of opening hours lie between `start` and `end`."""
    return sum((b - a).total_seconds() for a, b in open_intervals(start, end))


def init_app(app: Flask) -> None:
    """Make every change to the hours, holidays or closures move the calendar's revision."""
    revisions.follow(app, REVISION, (OpeningHours, Holiday, Closure))
