"""The lists behind the dashboard's figures: every call and every ticket of a period, as CSV.

Words as the pages show them (outcomes, types, statuses, languages, countries in the
reader's language), times in Moroccan time, numbers machine-readable. Nothing personal:
no caller number, not even masked. Rows are read from the database a thousand at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext

from centre.clock import CENTRE_TZ, to_storage
from centre.extensions import db
from centre.spreadsheet import csv_text
from ivr.models import Call
from reports.figures import Period, outcome_group, queue_result
from reports.tables import BOM, OUTCOME_NAMES, QUEUE_NAMES, country_name, language_name
from staff.models import StaffUser
from tickets.labels import STATUS_NAMES, TYPE_NAMES
from tickets.models import Ticket

BATCH = 1000


def _local(stored: datetime | None) -> str:
    """Return a stored (naive UTC) moment as Moroccan wall-clock time, "2026-12-01 10:05"."""
    if stored is None:
        return ""
    return stored.replace(tzinfo=UTC).astimezone(CENTRE_TZ).strftime("%Y-%m-%d %H:%M")


def _seconds(start: datetime | None, end: datetime | None) -> int | str:
    if start is None or end is None:
        return ""
    return max(int((end - start).total_seconds()), 0)


def _in_batches(query: sa.Executable, row: Callable[..., list[Any]]) -> Iterator[str]:
    """Yield the CSV of `query`'s rows, each written by `row`, `BATCH` rows at a time."""
    rows = []
    for found in db.session.execute(query):
        rows.append(row(*found))
        if len(rows) == BATCH:
            yield csv_text(rows)
            rows = []
    if rows:
        yield csv_text(rows)


def calls(period: Period) -> Iterator[str]:
    """Yield the CSV of every call started in `period`, a header first."""
    yield BOM + csv_text(
        [
            [
                gettext("Started (Moroccan time)"),
                gettext("Language"),
                gettext("Country"),
                gettext("Outcome"),
                gettext("Duration (s)"),
                gettext("Wait for an agent (s)"),
                gettext("How the caller left the queue"),
            ]
        ]
    )
    query = (
        sa.select(
            Call.started_at,
            Call.language,
            Call.country,
            Call.outcome,
            Call.duration,
            Call.queue_entered_at,
            Call.queue_left_at,
            Call.queue_result,
        )
        .where(
            Call.started_at >= to_storage(period.start), Call.started_at < to_storage(period.end)
        )
        .order_by(Call.started_at, Call.id)
        .execution_options(yield_per=BATCH)
    )

    def row(
        started: datetime,
        language: str | None,
        country: str | None,
        outcome: str | None,
        duration: int | None,
        entered: datetime | None,
        left: datetime | None,
        result: str | None,
    ) -> list[Any]:
        queued = entered is not None
        return [
            _local(started),
            language_name(language or ""),
            country_name(country or ""),
            str(OUTCOME_NAMES[outcome_group(outcome)]) if outcome else gettext("In progress"),
            "" if duration is None else duration,
            _seconds(entered, left) if queued else "",
            str(QUEUE_NAMES[queue_result(result)]) if queued and result else "",
        ]

    yield from _in_batches(query, row)


def tickets(period: Period) -> Iterator[str]:
    """Yield the CSV of every ticket opened in `period`, a header first."""
    yield BOM + csv_text(
        [
            [
                gettext("Reference"),
                gettext("Type"),
                gettext("Status"),
                gettext("Language"),
                gettext("Country"),
                gettext("Opened (Moroccan time)"),
                gettext("Due (Moroccan time)"),
                gettext("Assigned to"),
            ]
        ]
    )
    query = (
        sa.select(
            Ticket.reference,
            Ticket.type,
            Ticket.status,
            Ticket.language,
            Ticket.country,
            Ticket.created_at,
            Ticket.due_at,
            StaffUser.email,
        )
        .outerjoin(StaffUser, StaffUser.id == Ticket.assignee_id)
        .where(
            Ticket.created_at >= to_storage(period.start),
            Ticket.created_at < to_storage(period.end),
        )
        .order_by(Ticket.created_at, Ticket.id)
        .execution_options(yield_per=BATCH)
    )

    def row(
        reference: str,
        kind: str,
        status: str,
        language: str,
        country: str | None,
        created: datetime,
        due: datetime | None,
        email: str | None,
    ) -> list[Any]:
        return [
            reference,
            str(TYPE_NAMES.get(kind, kind)),
            str(STATUS_NAMES.get(status, status)),
            language_name(language),
            country_name(country or ""),
            _local(created),
            _local(due),
            email or "",
        ]

    yield from _in_batches(query, row)
