"""The dashboard's figures as the tables a person reads, each with its chart and its CSV."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from babel import Locale
from flask_babel import format_decimal, get_locale, gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from centre import languages
from centre.spreadsheet import csv_text
from knowledge import services
from reports import charts, satisfaction
from reports.figures import (
    FEEDBACK_TYPES,
    OUTCOME_GROUPS,
    QUEUE_RESULTS,
    SLA_STATES,
    Dashboard,
    series_keys,
)
from reports.wallboard import share
from tickets.labels import STATUS_NAMES, TYPE_NAMES
from tickets.models import STATUSES, TYPES

OUTCOME_NAMES = {
    "self_service": _l("Self-service only"),
    "escalated": _l("Escalated to a person"),
    "abandoned": _l("Abandoned in the queue"),
    "other": _l("Other (failed, busy, unfinished)"),
}
QUEUE_NAMES = {
    "bridged": _l("Answered by an agent"),
    "hangup": _l("Hung up while waiting"),
    "leave": _l("Left the queue for a callback"),
    "other": _l("Other"),
    "all": _l("All queued calls"),
}
SLA_NAMES = {"met": _l("Met"), "breached": _l("Breached"), "in_time": _l("Not yet due")}
# The same meaning has the same colour on every chart: good, bad, pending, neutral.
OUTCOME_COLOURS = {
    "self_service": "ok",
    "escalated": "info",
    "abandoned": "alarm",
    "other": "neutral",
}
SLA_COLOURS = {"met": "ok", "breached": "alarm", "in_time": "pending"}
STATUS_COLOURS = {
    "new": "pending",
    "open": "info",
    "waiting": "neutral",
    "resolved": "ok",
    "closed": "done",
}


@dataclass
class Table:
    """One figure: its title, its columns, its rows (raw values) and its chart."""

    key: str
    title: str
    columns: list[str]
    rows: list[list[Any]]
    chart: Markup | None = None
    note: str = ""

    @property
    def empty(self) -> bool:
        """Tell whether the table holds nothing to read: no rows, or only zeros."""
        return not any(
            value for row in self.rows for value in row[1:] if isinstance(value, int | float)
        )

    def csv(self) -> str:
        """Return exactly the table, as CSV (raw numbers, no thousands separators, no formulas).

        UTF-8 with a byte-order mark, so that Excel reads accents and Arabic right; numbers
        are machine-readable (a point before decimals, no thousands separator).
        """
        return BOM + csv_text([self.columns, *self.rows])


BOM = "\ufeff"


def _rtl() -> bool:
    return languages.get(str(get_locale() or "fr")).direction == "rtl"


def cell(value: Any) -> str:
    """Return a value as the page shows it (numbers in the page's locale)."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return format_decimal(value, format="#,##0.#")
    return str(value)


def headline(dashboard: Dashboard, target: int) -> list[tuple[str, str]]:
    """Return the period's figures read first: calls, self-service, abandonment, waits, tickets."""
    calls = sum(dashboard.outcomes.values())
    queued = dashboard.queued["all"]
    within = sum(
        n for seconds, n in dashboard.waits["bridged"].seconds.items() if seconds <= target
    )
    none_yet, nobody = gettext("no calls yet"), gettext("no one queued yet")
    return [
        (gettext("Calls"), format_decimal(calls)),
        (
            gettext("Self-service"),
            share(dashboard.outcomes["self_service"] / calls if calls else None, none_yet),
        ),
        (
            gettext("Abandoned in the queue"),
            share(dashboard.queued["hangup"] / queued if queued else None, nobody),
        ),
        (gettext("Answered within target"), share(within / queued if queued else None, nobody)),
        (
            gettext("Tickets opened"),
            format_decimal(sum(sum(c.values()) for c in dashboard.tickets.values())),
        ),
        (
            gettext("Deadlines missed"),
            format_decimal(sum(c["breached"] for c in dashboard.sla.values())),
        ),
        (
            gettext("Satisfaction"),
            share(
                satisfaction.overall(dashboard.period.start, dashboard.period.end).share,
                gettext("no answers yet"),
            ),
        ),
    ]


def _share(count: int, total: int) -> float:
    return round(100.0 * count / total, 1) if total else 0.0


def language_name(code: str) -> str:
    """Return a language's own name, or say that no language was chosen."""
    return (
        languages.BY_CODE[code].native_name
        if code in languages.BY_CODE
        else gettext("No language chosen")
    )


def country_name(code: str) -> str:
    """Return a country's name in the page's language, with its code."""
    if not code:
        return gettext("Unknown")
    locale = Locale.parse(str(get_locale() or "fr"))
    return f"{locale.territories.get(code, code)} ({code})"


def _service_title(slug: str) -> str:
    entry = services.published(slug, str(get_locale() or "fr")) or services.published(slug, "fr")
    return entry.text.title if entry else slug


def _ranked(key: str, title: str, name: str, counts: dict[str, int], label: Any) -> Table:
    total = sum(counts.values())
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    rows = [[label(value), count, _share(count, total)] for value, count in ordered]
    chart = charts.bars(
        title, [r[0] for r in rows], [(gettext("Calls"), [r[1] for r in rows])], rtl=_rtl()
    )
    return Table(key, title, [name, gettext("Calls"), gettext("Share (%)")], rows, chart)


def _series(
    labels: Sequence[str],
    names: dict[str, Any],
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    offset: int = 1,
) -> list[tuple[str, list[float]]]:
    return [(str(names[c]), [r[offset + i] for r in rows]) for i, c in enumerate(columns)]


def build(dashboard: Dashboard) -> list[Table]:
    """Return the dashboard's tables, in the order the page shows them."""
    tables: list[Table] = []
    period = dashboard.period

    # Calls per day, by outcome. A row holds a label, then figures (`Any`: mixed cells).
    rows: list[list[Any]] = [
        [
            day.isoformat(),
            *(dashboard.per_day[day][g] for g in OUTCOME_GROUPS),
            sum(dashboard.per_day[day].values()),
        ]
        for day in period.days
    ]
    title = gettext("Calls per day")
    every = max(1, len(rows) // 12)
    chart = charts.columns(
        title,
        [r[0][5:] for r in rows],
        _series([], OUTCOME_NAMES, OUTCOME_GROUPS, rows),
        every=every,
        classes=[OUTCOME_COLOURS[g] for g in OUTCOME_GROUPS],
        rtl=_rtl(),
    )
    tables.append(
        Table(
            "calls-per-day",
            title,
            [gettext("Day"), *(str(OUTCOME_NAMES[g]) for g in OUTCOME_GROUPS), gettext("Total")],
            rows,
            chart,
        )
    )

    # Calls per hour of the day.
    rows = [[f"{hour:02d}:00", dashboard.per_hour[hour]] for hour in range(24)]
    title = gettext("Calls per hour of the day (Moroccan time)")
    chart = charts.columns(
        title, [r[0][:2] for r in rows], [(gettext("Calls"), [r[1] for r in rows])], rtl=_rtl()
    )
    tables.append(Table("calls-per-hour", title, [gettext("Hour"), gettext("Calls")], rows, chart))

    tables.append(
        _ranked(
            "calls-per-language",
            gettext("Calls per language"),
            gettext("Language"),
            dashboard.languages,
            language_name,
        )
    )
    tables.append(
        _ranked(
            "calls-per-country",
            gettext("Calls per country (number dialled)"),
            gettext("Country"),
            dashboard.countries,
            country_name,
        )
    )

    # Self-service against escalation.
    total = sum(dashboard.outcomes.values())
    rows = [
        [str(OUTCOME_NAMES[g]), dashboard.outcomes[g], _share(dashboard.outcomes[g], total)]
        for g in OUTCOME_GROUPS
    ]
    title = gettext("How calls ended")
    chart = charts.bars(
        title, [r[0] for r in rows], [(gettext("Calls"), [r[1] for r in rows])], rtl=_rtl()
    )
    tables.append(
        Table(
            "outcomes",
            title,
            [gettext("Outcome"), gettext("Calls"), gettext("Share (%)")],
            rows,
            chart,
        )
    )

    # The queue: how callers left it and how long they waited.
    rows = []
    for result in (*QUEUE_RESULTS, "all"):
        waits = dashboard.waits[result]
        median, p90 = waits.percentile(0.5), waits.percentile(0.9)
        rows.append(
            [
                str(QUEUE_NAMES[result]),
                dashboard.queued[result],
                _share(dashboard.queued[result], dashboard.queued["all"]),
                None if median is None else round(median, 1),
                None if p90 is None else round(p90, 1),
            ]
        )
    title = gettext("Waiting for an agent")
    chart = charts.bars(
        title,
        [r[0] for r in rows],
        [
            (gettext("Median wait (s)"), [r[3] or 0 for r in rows]),
            (gettext("90th percentile (s)"), [r[4] or 0 for r in rows]),
        ],
        stacked=False,
        classes=["info", "pending"],
        rtl=_rtl(),
    )
    tables.append(
        Table(
            "queue",
            title,
            [
                gettext("How the caller left the queue"),
                gettext("Calls"),
                gettext("Share (%)"),
                gettext("Median wait (s)"),
                gettext("90th percentile (s)"),
            ],
            rows,
            chart,
        )
    )

    # Tickets by type and status.
    rows = [
        [
            str(TYPE_NAMES[t]),
            *(dashboard.tickets[t][s] for s in STATUSES),
            sum(dashboard.tickets[t].values()),
        ]
        for t in TYPES
    ]
    title = gettext("Tickets by type and status")
    chart = charts.bars(
        title,
        [r[0] for r in rows],
        _series([], STATUS_NAMES, STATUSES, rows),
        classes=[STATUS_COLOURS[s] for s in STATUSES],
        rtl=_rtl(),
    )
    tables.append(
        Table(
            "tickets",
            title,
            [gettext("Type"), *(str(STATUS_NAMES[s]) for s in STATUSES), gettext("Total")],
            rows,
            chart,
        )
    )

    # Service levels.
    rows = [[str(TYPE_NAMES[t]), *(dashboard.sla[t][s] for s in SLA_STATES)] for t in TYPES]
    title = gettext("Service level (SLA) met or breached")
    chart = charts.bars(
        title,
        [r[0] for r in rows],
        _series([], SLA_NAMES, SLA_STATES, rows),
        classes=[SLA_COLOURS[s] for s in SLA_STATES],
        rtl=_rtl(),
    )
    tables.append(
        Table(
            "sla",
            title,
            [gettext("Type"), *(str(SLA_NAMES[s]) for s in SLA_STATES)],
            rows,
            chart,
            gettext("Counted in opening hours; merged duplicates are left out."),
        )
    )

    # The guide.
    rows = [[_service_title(slug), count] for slug, count in dashboard.guide]
    title = gettext("Guide services most asked for")
    chart = charts.bars(
        title, [r[0] for r in rows], [(gettext("Calls"), [r[1] for r in rows])], rtl=_rtl()
    )
    tables.append(
        Table(
            "guide",
            title,
            [gettext("Service"), gettext("Calls")],
            rows,
            chart,
            gettext("Calls that heard a service of the guide, by the last one heard."),
        )
    )
    rows = [[language_name(code), phrase, count] for code, phrase, count in dashboard.unmatched]
    title = gettext("Phrases nobody could answer")
    chart = charts.bars(
        title, [r[1] for r in rows], [(gettext("Times"), [r[2] for r in rows])], rtl=_rtl()
    )
    tables.append(
        Table(
            "unmatched",
            title,
            [gettext("Language"), gettext("Phrase"), gettext("Times")],
            rows,
            chart,
            gettext(
                "Phrases the guide did not find, heard during the period; times since first heard."
            ),
        )
    )

    # Complaints, suggestions and observations over time.
    rows = [
        [key, *(dashboard.feedback[key][t] for t in FEEDBACK_TYPES)] for key in series_keys(period)
    ]
    title = (
        gettext("Complaints and suggestions per month")
        if period.by_month
        else gettext("Complaints and suggestions per day")
    )
    chart = charts.columns(
        title,
        [r[0] if period.by_month else r[0][5:] for r in rows],
        _series([], TYPE_NAMES, FEEDBACK_TYPES, rows),
        stacked=False,
        every=max(1, len(rows) // 12),
        classes=["s5", "info", "neutral"],
        rtl=_rtl(),
    )
    tables.append(
        Table(
            "feedback",
            title,
            [
                gettext("Month") if period.by_month else gettext("Day"),
                *(str(TYPE_NAMES[t]) for t in FEEDBACK_TYPES),
            ],
            rows,
            chart,
        )
    )
    tables.extend(satisfaction_tables(period.start, period.end))
    return tables


def _satisfaction_table(
    key: str, title: str, name: str, groups: list[tuple[str, satisfaction.Satisfaction]]
) -> Table:
    rows: list[list[Any]] = [
        [
            label,
            found.answers,
            round(found.average or 0.0, 1),
            _share(found.satisfied, found.answers),
        ]
        for label, found in groups
    ]
    average = gettext("Average answer (1 to 5)")
    chart = charts.bars(
        title, [r[0] for r in rows], [(average, [r[2] for r in rows])], classes=["ok"], rtl=_rtl()
    )
    columns = [name, gettext("Answers"), average, gettext("Satisfied: 4 or 5 (%)")]
    note = gettext("Survey answers received in the period, by SMS after the ticket was resolved.")
    return Table(key, title, columns, rows, chart, note)


def satisfaction_tables(start: datetime, end: datetime) -> list[Table]:
    """Return the survey answers of the period by language, by ticket type and by agent."""
    found = satisfaction.by_language(start, end)
    by_language = [(language_name(code), found[code]) for code in languages.CODES if code in found]
    found_types = satisfaction.by_type(start, end)
    by_type = [(str(TYPE_NAMES[t]), found_types[t]) for t in TYPES if t in found_types]
    agents = satisfaction.by_agent(start, end)
    emails = satisfaction.agent_emails([ident for ident in agents if ident is not None])
    by_agent = sorted(
        (
            (emails.get(ident or 0) or gettext("No agent recorded"), figures)
            for ident, figures in agents.items()
        ),
        key=lambda item: item[0],
    )
    return [
        _satisfaction_table(
            "satisfaction-language",
            gettext("Satisfaction by language"),
            gettext("Language"),
            by_language,
        ),
        _satisfaction_table(
            "satisfaction-type",
            gettext("Satisfaction by type of request"),
            gettext("Type"),
            by_type,
        ),
        _satisfaction_table(
            "satisfaction-agent", gettext("Satisfaction by agent"), gettext("Agent"), by_agent
        ),
    ]
