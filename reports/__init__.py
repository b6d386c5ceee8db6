"""Supervisors' reports: the dashboard of calls and tickets, its charts and CSV exports."""

from __future__ import annotations

from flask import Flask

from centre import jobs
from centre.extensions import listen_to_sessions
from ivr import state
from reports import daily, figures, models, views  # noqa: F401  (models: the summaries' tables)
from reports.cli import reports_group
from tickets.signals import ticket_changed_by_statement


def init_app(app: Flask) -> None:
    """Register the dashboard's pages and command, keep the summaries' marks, summarise nightly."""
    app.register_blueprint(views.bp)
    app.cli.add_command(reports_group)
    listen_to_sessions(app, "before_flush", daily.mark_changed_rows)
    listen_to_sessions(app, "do_orm_execute", daily.mark_changed_by_statement)
    state.call_step_saved.connect(daily.mark_past_call)
    ticket_changed_by_statement.connect(daily.mark_past_ticket)
    jobs.register_scheduled(
        app,
        "summarise-days",
        jobs.every(minute="15", hour="1"),
        figures.refresh_past_days,
        "summarise the past days for the dashboard",
    )
