"""Supervisors' reports: the dashboard of calls and tickets, its charts and CSV exports."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the dashboard's pages, its summaries' tables and marks, and its command."""
    from reports import daily, models, views  # noqa: F401  (daily: the marks' listeners)
    from reports.cli import reports_group

    app.register_blueprint(views.bp)
    app.cli.add_command(reports_group)
