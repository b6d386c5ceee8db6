"""The dashboard's figures, computed from the recorded calls and tickets with SQL aggregates.

Nothing here is a counter kept on the side: every figure is a GROUP BY over the rows the
phone menu and the desk write, for the calls started (tickets opened) in the period. Times
are grouped by UTC hour in SQL and placed in Moroccan days and hours here (Morocco's
offsets are whole hours, so this is exact whatever the season).
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from centre.clock import CENTRE_TZ, now, to_storage
from centre.extensions import db
from ivr.models import Call
from knowledge.models import UnmatchedPhrase
from reports.sql import between, hour_bucket, whole_seconds
from tickets.models import ACTIVE_STATUSES, DONE_STATUSES, Ticket, TicketNote

OUTCOME_GROUPS = ("self_service", "escalated", "abandoned", "other")
QUEUE_RESULTS = ("bridged", "hangup", "leave", "other")
FEEDBACK_TYPES = ("complaint", "suggestion", "observation")
SLA_STATES = ("met", "breached", "in_time")
MAX_DAYS = 400
TOP = 15


class PeriodRefused(ValueError):
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
            raise PeriodRefused("dates") from exc
        if start > end:
            raise PeriodRefused("order")
        if (end - start).days + 1 > MAX_DAYS:
            raise PeriodRefused("length")
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


@functools.lru_cache(maxsize=20_000)
def _local_hour(bucket: datetime | str) -> datetime:
    moment = datetime.fromisoformat(bucket) if isinstance(bucket, str) else bucket
    return moment.replace(tzinfo=UTC).astimezone(CENTRE_TZ)


def _calls_in(period: Period) -> sa.ColumnElement[bool]:
    return between(Call.started_at, to_storage(period.start), to_storage(period.end))


def _call_counts(period: Period, dashboard: Dashboard) -> None:
    bucket = hour_bucket(Call.started_at)
    rows = db.session.execute(
        sa.select(bucket, Call.outcome, sa.func.count())
        .where(_calls_in(period))
        .group_by(bucket, Call.outcome)
    )
    for hour, outcome, count in rows:
        local = _local_hour(hour)
        group = outcome_group(outcome)
        dashboard.per_day[local.date()][group] += count
        dashboard.per_hour[local.hour] += count
        dashboard.outcomes[group] += count
    for column, target in (
        (Call.language, dashboard.languages),
        (Call.country, dashboard.countries),
    ):
        for value, count in db.session.execute(
            sa.select(column, sa.func.count()).where(_calls_in(period)).group_by(column)
        ):
            target[value or ""] += count


def queue_result(result: str | None) -> str:
    """Return the dashboard's group of how a caller left the queue."""
    return result if result in QUEUE_RESULTS else "other"


def _queue(period: Period, dashboard: Dashboard) -> None:
    wait = whole_seconds(Call.queue_entered_at, Call.queue_left_at)
    rows = db.session.execute(
        sa.select(Call.queue_result, wait, sa.func.count())
        .where(_calls_in(period), Call.queue_entered_at.is_not(None))
        .group_by(Call.queue_result, wait)
    )
    dashboard.waits = {result: Waits() for result in (*QUEUE_RESULTS, "all")}
    for result, seconds, count in rows:
        group = queue_result(result)
        dashboard.queued[group] += count
        dashboard.queued["all"] += count
        if seconds is not None:
            dashboard.waits[group].seconds[max(int(seconds), 0)] += count
            dashboard.waits["all"].seconds[max(int(seconds), 0)] += count


def _guide(period: Period, dashboard: Dashboard) -> None:
    slug = Call.context["guide_slug"].as_string()
    rows = db.session.execute(
        sa.select(slug, sa.func.count())
        .where(_calls_in(period), slug.is_not(None))
        .group_by(slug)
        .order_by(sa.func.count().desc(), slug)
        .limit(TOP)
    )
    dashboard.guide = [(name, count) for name, count in rows]


def _tickets_in(period: Period) -> sa.ColumnElement[bool]:
    return between(Ticket.created_at, to_storage(period.start), to_storage(period.end))


def _tickets(period: Period, dashboard: Dashboard, moment: datetime) -> None:
    for kind, status, count in db.session.execute(
        sa.select(Ticket.type, Ticket.status, sa.func.count())
        .where(_tickets_in(period))
        .group_by(Ticket.type, Ticket.status)
    ):
        dashboard.tickets[kind][status] += count
    resolved = (
        sa.select(TicketNote.ticket_id, sa.func.min(TicketNote.created_at).label("at"))
        .where(TicketNote.kind == "resolution")
        .group_by(TicketNote.ticket_id)
        .subquery()
    )
    finished = sa.func.coalesce(resolved.c.at, Ticket.updated_at)
    due = sa.func.coalesce(Ticket.due_at, Ticket.created_at)
    state = sa.case(
        (sa.and_(Ticket.status.in_(DONE_STATUSES), finished <= due), "met"),
        (Ticket.status.in_(DONE_STATUSES), "breached"),
        (sa.and_(Ticket.status.in_(ACTIVE_STATUSES), due <= to_storage(moment)), "breached"),
        else_="in_time",
    )
    for kind, sla_state, count in db.session.execute(
        sa.select(Ticket.type, state, sa.func.count())
        .outerjoin(resolved, resolved.c.ticket_id == Ticket.id)
        .where(_tickets_in(period), Ticket.merged_into_id.is_(None))
        .group_by(Ticket.type, state)
    ):
        dashboard.sla[kind][sla_state] += count


def series_key(day: date, by_month: bool) -> str:
    """Return the label of the day's place in a series over time: the day, or its month."""
    return day.strftime("%Y-%m") if by_month else day.isoformat()


def series_keys(period: Period) -> list[str]:
    """Return the labels of a series over the period, in order."""
    return list(dict.fromkeys(series_key(day, period.by_month) for day in period.days))


def _feedback(period: Period, dashboard: Dashboard) -> None:
    bucket = hour_bucket(Ticket.created_at)
    rows = db.session.execute(
        sa.select(bucket, Ticket.type, sa.func.count())
        .where(_tickets_in(period), Ticket.type.in_(FEEDBACK_TYPES))
        .group_by(bucket, Ticket.type)
    )
    by_month = period.by_month
    for hour, kind, count in rows:
        key = series_key(_local_hour(hour).date(), by_month)
        dashboard.feedback[key][kind] += count


def _unmatched(period: Period, dashboard: Dashboard) -> None:
    rows = db.session.execute(
        sa.select(UnmatchedPhrase.language, UnmatchedPhrase.phrase, UnmatchedPhrase.count)
        .where(
            UnmatchedPhrase.resolved_at.is_(None),
            UnmatchedPhrase.last_seen >= to_storage(period.start),
            UnmatchedPhrase.first_seen < to_storage(period.end),
        )
        .order_by(UnmatchedPhrase.count.desc(), UnmatchedPhrase.id)
        .limit(TOP)
    )
    dashboard.unmatched = [(language, phrase, count) for language, phrase, count in rows]


def _counters(keys: Iterable[str]) -> dict[str, Counter[str]]:
    return {key: Counter() for key in keys}


def compute(period: Period, moment: datetime | None = None) -> Dashboard:
    """Compute every figure of the dashboard for `period`, as things stand at `moment`."""
    from tickets.models import TYPES

    dashboard = Dashboard(
        period=period, per_day={day: Counter() for day in period.days}, per_hour=Counter(),
        languages=Counter(), countries=Counter(), outcomes=Counter(), queued=Counter(),
        waits={}, tickets=_counters(TYPES), sla=_counters(TYPES), guide=[], unmatched=[],
        feedback=_counters(series_keys(period)),
    )  # fmt: skip
    _call_counts(period, dashboard)
    _queue(period, dashboard)
    _guide(period, dashboard)
    _tickets(period, dashboard, moment or now())
    _feedback(period, dashboard)
    _unmatched(period, dashboard)
    return dashboard
