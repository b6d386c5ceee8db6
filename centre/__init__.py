"""The centre's shared core: database and extensions, settings, languages, calendar, messaging."""

from __future__ import annotations

from flask import Flask

from centre import (
    calendar,
    context,
    jobs,
    messaging,
    notices,
    ratelimit,  # noqa: F401  (its table is part of the schema)
    sessions,
    transactions,
    web,
)
from centre.extensions import listen_to_sessions
from centre.forgetting import register_forget_caller
from centre.jobs_cli import jobs_group
from centre.translate import translate_group


def init_app(app: Flask) -> None:
    """Register the page layout, the commands, the job queue, the outbox's listeners and forgetting."""
    transactions.init_app(app)  # first: every request's one commit, whatever else follows
    sessions.init_app(app)
    context.remember_sync_checks(app)
    app.register_blueprint(web.bp)
    calendar.init_app(app)
    notices.init_app(app)
    app.cli.add_command(translate_group)
    app.cli.add_command(jobs_group)
    jobs.init_app(app)
    jobs.register_scheduled(
        app,
        "outbox-sweep",
        jobs.every(),
        messaging.sweep,
        "enqueue lost messages again, settle those left sending",
    )
    listen_to_sessions(app, "after_commit", messaging.hand_over_committed)
    listen_to_sessions(app, "after_rollback", messaging.forget_rolled_back)
    register_forget_caller(app, messaging.forget_caller)
