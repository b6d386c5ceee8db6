"""The dashboard's per-day summaries, recomputed from the calls and tickets, and their marks."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from centre.extensions import Model


class ReportDay(Model):
    """Every figure of one past Moroccan day, recomputed from that day's calls and tickets.

    `figures` maps a figure ("outcome", "hour", "wait:bridged", "ticket", ...) to counts by
    key. It is written whole by a recomputation, never incremented. It stops counting when
    a row of the day changes (a `ReportMark` appears) or when a ticket of the day still in
    time falls due (`valid_until`), and is then computed again.
    """

    __tablename__ = "report_days"
    day: so.Mapped[date] = so.mapped_column(sa.Date, primary_key=True)
    # The shape of `figures`; a summary of another shape is recomputed.
    version: so.Mapped[int]
    computed_at: so.Mapped[datetime]
    valid_until: so.Mapped[datetime | None]
    figures: so.Mapped[dict[str, dict[str, int]]] = so.mapped_column(sa.JSON)


class ReportMark(Model):
    """A row of this day's calls or tickets changed after the day was over: recompute it."""

    __tablename__ = "report_marks"
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    day: so.Mapped[date] = so.mapped_column(sa.Date, index=True)
    marked_at: so.Mapped[datetime]
