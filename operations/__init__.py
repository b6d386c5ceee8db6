"""Running the centre: what spans the domains (hours and notices pages, setup, demo data, privacy)."""

from __future__ import annotations

from flask import Flask

from centre import jobs
from operations import admin, privacy, replies, running, week
from operations.cli import register_commands


def init_app(app: Flask) -> None:
    """Register the admin pages, the `setup`, calendar, notices and privacy commands, their schedule, the demo week."""
    app.register_blueprint(admin.bp)
    app.register_blueprint(replies.bp)
    replies.register()
    register_commands(app)
    jobs.register_scheduled(
        app,
        "purge-recordings",
        jobs.every(minute="30", hour="2"),
        privacy.purge_expired_recordings,
        "delete the recordings past their retention period",
    )
    jobs.register_scheduled(
        app,
        "load-holidays",
        jobs.every(minute="0", hour="4"),
        running.load_coming_holidays,
        "load this year's and next year's public holidays",
    )
    # After the staff accounts and the demo cases (their packages are wired first).
    app.extensions.setdefault("setup.demo", []).append(week.week_lines)
