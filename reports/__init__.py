"""Supervisors' reports: the dashboard of calls and tickets, its charts and CSV exports."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the dashboard's pages."""
    from reports import views

    app.register_blueprint(views.bp)
