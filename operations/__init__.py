"""Running the centre: what spans the domains (hours and notices pages, setup, demo data, privacy)."""

from __future__ import annotations

from flask import Flask

from operations import admin, week
from operations.cli import register_commands


def init_app(app: Flask) -> None:
    """Register the admin pages, the `setup`, calendar, notices and privacy commands, the demo week."""
    app.register_blueprint(admin.bp)
    register_commands(app)
    # After the staff accounts and the demo cases (their packages are wired first).
    app.extensions.setdefault("setup.demo", []).append(week.week_lines)
