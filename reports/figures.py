"""The dashboard's figures, computed from the recorded calls and tickets with SQL aggregates.

Nothing here is a counter kept on the side: every figure is a GROUP BY over the rows the
phone menu and the desk write, for the calls started (tickets opened) in the period. Times
are grouped by UTC hour in SQL and placed in Moroccan days and hours here (Morocco's
offsets are whole hours, so this is exact whatever the season).

The figures are gathered per Moroccan day (`collect`), then added up over the period
(`assemble`). Past days come from their summaries (`reports.daily`) when those are up to
date; today, and any day not summarised, are collected from the rows on the spot.
"""

from __future__ import annotations

import functools
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from centre.clock import CENTRE_TZ, now, to_storage
from centre.extensions import db
from centre.refusals import Refused
from ivr.models import Call
from knowledge.models import UnmatchedPhrase
from reports import daily
from reports.daily import Collected, DayFigures, day_start
from reports.sql import between, hour_bucket, whole_seconds
from tickets.models import ACTIVE_STATUSES, DONE_STATUSES, TYPES, Ticket, TicketNote

OUTCOME_GROUPS = ("self_service", "escalated", "abandoned", "other")
QUEUE_RESULTS = ("bridged", "hangup", "leave", "other")
FEEDBACK_TYPES = ("complaint", "suggestion", "observation")
SLA_STATES = ("met", "breached", "in_time")
MAX_DAYS = 400
TOP = 15

log = logging.getLogger(__name__)


class PeriodRefused(Refused):
    """The period asked for cannot be shown (bad dates, reversed, too long)."""


@dataclass(frozen=True)
class Period:
    """Whole Moroccan days, `first` to `last` included."""

    first: date
    last: date

    @classmethod
    def parse(cls, first: str | None, last: str | None, today: date) -> Period:
        """Read the period from ISO dates; by default the 30 days up to `today`."""
        try:
            end = date.fromisoformat(last) if last else today
            start = date.fromisoformat(first) if first else end - timedelta(days=29)
        except ValueError as exc:
            raise PeriodRefused(
                _l("Give the dates as a year, month and day, e.g. 2026-12-01."), "dates"
            ) from exc
        if start > end:
            raise PeriodRefused(_l("The period must end on or after the day it starts."), "order")
        if (end - start).days + 1 > MAX_DAYS:
            raise PeriodRefused(
                _l("The period can be at most %(days)s days.", days=MAX_DAYS), "length"
            )
        return cls(start, end)

    @property
    def start(self) -> datetime:
        """Return the first instant of the period (aware)."""
        return datetime.combine(self.first, time(0), CENTRE_TZ)

    @property
    def end(self) -> datetime:
        """Return the instant the period ends (aware, excluded)."""
        return datetime.combine(self.last + timedelta(days=1), time(0), CENTRE_TZ)

    @property
    def days(self) -> list[date]:
        """Return every day of the period."""
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]

    @property
    def by_month(self) -> bool:
        """Tell whether series over time are shown per month (periods over three months)."""
        return (self.last - self.first).days + 1 > 92


@dataclass
class Waits:
    """How long callers waited in the queue: a histogram of whole seconds."""

    seconds: Counter[int] = field(default_factory=Counter)

    @property
    def count(self) -> int:
        """Return how many waits there are."""
        return sum(self.seconds.values())

    def percentile(self, share: float) -> float | None:
        """Return the wait below which `share` of waits fall, interpolated like percentile_cont."""
        total = self.count
        if not total:
            return None
        position = share * (total - 1)
        below = int(position)
        low = self._value_at(below)
        high = self._value_at(min(below + 1, total - 1))
        return low + (high - low) * (position - below)

    def _value_at(self, index: int) -> int:
        """Return the wait at `index` (from 0) in the sorted waits."""
        seen = 0
        for value in sorted(self.seconds):
            seen += self.seconds[value]
            if seen > index:
                return value
        raise IndexError(index)


# Count `count` more under (figure, key) in the Moroccan day and hour of a UTC hour bucket.
Adder = Callable[[datetime | str, str, str, int], datetime]


@dataclass
class Dashboard:
    """Every figure of the dashboard for one period."""

    period: Period
    per_day: dict[date, Counter[str]]
    per_hour: Counter[int]
    languages: Counter[str]
    countries: Counter[str]
    outcomes: Counter[str]
    queued: Counter[str]
    waits: dict[str, Waits]
    tickets: dict[str, Counter[str]]
    sla: dict[str, Counter[str]]
    guide: list[tuple[str, int]]
    unmatched: list[tuple[str, str, int]]
    feedback: dict[str, Counter[str]]


def outcome_group(outcome: str | None) -> str:
    """Return the dashboard's group of a call outcome (failed, busy, unfinished: other)."""
    return outcome if outcome in OUTCOME_GROUPS else "other"


def queue_result(result: str | None) -> str:
    """Return the dashboard's group of how a caller left the queue."""
    return result if result in QUEUE_RESULTS else "other"


@functools.lru_cache(maxsize=20_000)
def _local_hour(bucket: datetime | str) -> datetime:
    moment = datetime.fromisoformat(bucket) if isinstance(bucket, str) else bucket
    return moment.replace(tzinfo=UTC).astimezone(CENTRE_TZ)


def collect(first: date, last: date, moment: datetime) -> Collected:
    """Gather every figure of each day from `first` to `last` from the calls and tickets."""
    found = Collected({first + timedelta(days=n): {} for n in range((last - first).days + 1)})

    def add(bucket: datetime | str, figure: str, key: str, count: int) -> datetime:
        local = _local_hour(bucket)
        figures = found.days[local.date()]
        if figure not in figures:
            figures[figure] = Counter()
        figures[figure][key] += count
        return local

    start, end = day_start(first), day_start(last + timedelta(days=1))
    calls = between(Call.started_at, start, end)
    bucket = hour_bucket(Call.started_at)
    going = Call.ended_at.is_(None)
    for hour, outcome, unended, count in db.session.execute(
        sa.select(bucket, Call.outcome, going, sa.func.count())
        .where(calls)
        .group_by(bucket, Call.outcome, going)
    ):
        local = add(hour, "outcome", outcome_group(outcome), count)
        add(hour, "hour", str(local.hour), count)
        if unended:
            found.unended[local.date()] += count
    for column, figure in ((Call.language, "language"), (Call.country, "country")):
        for hour, value, count in db.session.execute(
            sa.select(bucket, column, sa.func.count()).where(calls).group_by(bucket, column)
        ):
            add(hour, figure, value or "", count)

    wait = whole_seconds(Call.queue_entered_at, Call.queue_left_at)
    for hour, result, seconds, count in db.session.execute(
        sa.select(bucket, Call.queue_result, wait, sa.func.count())
        .where(calls, Call.queue_entered_at.is_not(None))
        .group_by(bucket, Call.queue_result, wait)
    ):
        group = queue_result(result)
        add(hour, "queued", group, count)
        if seconds is not None:
            add(hour, "wait:" + group, str(max(int(seconds), 0)), count)

    slug = Call.context["guide_slug"].as_string()
    for hour, name, count in db.session.execute(
        sa.select(bucket, slug, sa.func.count())
        .where(calls, slug.is_not(None))
        .group_by(bucket, slug)
    ):
        add(hour, "guide", name, count)

    _collect_tickets(start, end, moment, add, found)
    return found


def _collect_tickets(
    start: datetime, end: datetime, moment: datetime, add, found: Collected
) -> None:
    tickets = between(Ticket.created_at, start, end)
    bucket = hour_bucket(Ticket.created_at)
    for hour, kind, status, count in db.session.execute(
        sa.select(bucket, Ticket.type, Ticket.status, sa.func.count())
        .where(tickets)
        .group_by(bucket, Ticket.type, Ticket.status)
    ):
        add(hour, "ticket", f"{kind} {status}", count)
    resolved = (
        sa.select(sa.func.min(TicketNote.created_at))
        .where(TicketNote.ticket_id == Ticket.id, TicketNote.kind == "resolution")
        .correlate(Ticket)
        .scalar_subquery()
    )
    finished = sa.func.coalesce(resolved, Ticket.updated_at)
    due = sa.func.coalesce(Ticket.due_at, Ticket.created_at)
    state = sa.case(
        (sa.and_(Ticket.status.in_(DONE_STATUSES), finished <= due), "met"),
        (Ticket.status.in_(DONE_STATUSES), "breached"),
        (sa.and_(Ticket.status.in_(ACTIVE_STATUSES), due <= to_storage(moment)), "breached"),
        else_="in_time",
    )
    for hour, kind, sla_state, first_due, count in db.session.execute(
        sa.select(bucket, Ticket.type, state, sa.func.min(due), sa.func.count())
        .where(tickets, Ticket.merged_into_id.is_(None))
        .group_by(bucket, Ticket.type, state)
    ):
        local = add(hour, "sla", f"{kind} {sla_state}", count)
        if sla_state == "in_time":
            first_due = _stored(first_due)
            day = local.date()
            found.valid_until[day] = min(found.valid_until.get(day, first_due), first_due)


def _stored(value: datetime | str) -> datetime:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def series_key(day: date, by_month: bool) -> str:
    """Return the label of the day's place in a series over time: the day, or its month."""
    return day.strftime("%Y-%m") if by_month else day.isoformat()


def series_keys(period: Period) -> list[str]:
    """Return the labels of a series over the period, in order."""
    return list(dict.fromkeys(series_key(day, period.by_month) for day in period.days))


def _counters(keys: Iterable[str]) -> dict[str, Counter[str]]:
    return {key: Counter() for key in keys}


def assemble(period: Period, days: dict[date, DayFigures]) -> Dashboard:
    """Add the days' figures up into the dashboard of `period` (the guide's top, the waits)."""
    dashboard = Dashboard(
        period=period,
        per_day={day: Counter() for day in period.days},
        per_hour=Counter(),
        languages=Counter(),
        countries=Counter(),
        outcomes=Counter(),
        queued=Counter(),
        waits={result: Waits() for result in (*QUEUE_RESULTS, "all")},
        tickets=_counters(TYPES),
        sla=_counters(TYPES),
        guide=[],
        unmatched=[],
        feedback=_counters(series_keys(period)),
    )
    guide: Counter[str] = Counter()
    everyone = dashboard.waits["all"].seconds
    for day in period.days:
        figures = days.get(day) or {}
        if outcomes := figures.get("outcome"):
            dashboard.per_day[day].update(outcomes)
            dashboard.outcomes.update(outcomes)
        for hour, count in figures.get("hour", {}).items():
            dashboard.per_hour[int(hour)] += count
        dashboard.languages.update(figures.get("language", {}))
        dashboard.countries.update(figures.get("country", {}))
        dashboard.queued.update(figures.get("queued", {}))
        for group in QUEUE_RESULTS:
            histogram = dashboard.waits[group].seconds
            for seconds, count in figures.get("wait:" + group, {}).items():
                histogram[int(seconds)] += count
                everyone[int(seconds)] += count
        guide.update(figures.get("guide", {}))
        feedback = dashboard.feedback[series_key(day, period.by_month)]
        for key, count in figures.get("ticket", {}).items():
            kind, status = key.split(" ")
            dashboard.tickets[kind][status] += count
            if kind in FEEDBACK_TYPES:
                feedback[kind] += count
        for key, count in figures.get("sla", {}).items():
            kind, sla_state = key.split(" ")
            dashboard.sla[kind][sla_state] += count
    dashboard.queued["all"] = sum(dashboard.queued[g] for g in QUEUE_RESULTS)
    dashboard.guide = sorted(guide.items(), key=lambda item: (-item[1], item[0]))[:TOP]
    return dashboard


def _unmatched(period: Period, dashboard: Dashboard) -> None:
    rows = db.session.execute(
        sa.select(UnmatchedPhrase.language, UnmatchedPhrase.phrase, UnmatchedPhrase.count)
        .where(
            UnmatchedPhrase.resolved_at.is_(None),
            UnmatchedPhrase.count > 0,  # a row may hold only requests for an agent
            UnmatchedPhrase.last_seen >= to_storage(period.start),
            UnmatchedPhrase.first_seen < to_storage(period.end),
        )
        .order_by(UnmatchedPhrase.count.desc(), UnmatchedPhrase.id)
        .limit(TOP)
    )
    dashboard.unmatched = [(language, phrase, count) for language, phrase, count in rows]


def runs(days: Iterable[date]) -> Iterator[tuple[date, date]]:
    """Yield the first and last day of each stretch of consecutive days."""
    first = last = None
    for day in sorted(days):
        if last is not None and day == last + timedelta(days=1):
            last = day
            continue
        if first is not None and last is not None:
            yield first, last
        first = last = day
    if first is not None and last is not None:
        yield first, last


def compute(period: Period, moment: datetime | None = None, store: bool = False) -> Dashboard:
    """Compute every figure of the dashboard for `period`, as things stand at `moment`.

    Past days come from their up-to-date summaries; the others are collected from the rows
    and, with `store`, summarised on the way (if no one else is summarising right now).
    """
    moment = moment or now()
    today = moment.astimezone(CENTRE_TZ).date()
    days: dict[date, DayFigures] = daily.load(
        period.first, min(period.last, today - timedelta(days=1)), moment
    )
    missing = [day for day in period.days if day not in days]
    storing = store and any(day < today for day in missing) and daily.claim(missing, today)
    for first, last in runs(missing):
        collected = collect(first, last, moment)
        days.update(collected.days)
        if storing:
            daily.save(collected, today, moment)
    dashboard = assemble(period, days)
    _unmatched(period, dashboard)
    return dashboard


@dataclass
class Refreshed:
    """What a refresh did."""

    summarised: int = 0
    up_to_date: int = 0
    live: list[date] = field(default_factory=list)


def refresh_past_days() -> Refreshed:
    """Summarise every past day not up to date (the scheduler runs it nightly)."""
    done = refresh(None)
    log.info("days summarised: %s, already up to date: %s", done.summarised, done.up_to_date)
    return done


def refresh(since: date | None, moment: datetime | None = None) -> Refreshed:
    """Summarise every past day from `since` (the first call by default) not up to date."""
    moment = moment or now()
    today = moment.astimezone(CENTRE_TZ).date()
    if since is None:
        first_call = db.session.scalar(sa.select(sa.func.min(Call.started_at)))
        first_ticket = db.session.scalar(sa.select(sa.func.min(Ticket.created_at)))
        known = [
            daily.local_day(moment) for moment in (first_call, first_ticket) if moment is not None
        ]
        since = min(known, default=today)
    last = today - timedelta(days=1)
    done = Refreshed()
    if since > last:
        return done
    current, missing = daily.begin_refresh(since, last, moment)
    for first, end in runs(missing):
        collected = collect(first, end, moment)
        done.summarised += daily.save(collected, today, moment)
        done.live += sorted(day for day, count in collected.unended.items() if count)
    done.up_to_date = len(current)
    return done
