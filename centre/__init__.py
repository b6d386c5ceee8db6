"""The centre's shared core: database and extensions, settings, languages, calendar, messaging."""

from __future__ import annotations

from flask import Flask

from centre import messaging, ratelimit, web  # noqa: F401  (ratelimit: its table is part of the schema)
from centre.extensions import listen_to_sessions
from centre.translate import translate_group


def init_app(app: Flask) -> None:
    """Register the shared page layout, the `translate` commands and the outbox's listeners."""
    app.register_blueprint(web.bp)
    app.cli.add_command(translate_group)
    listen_to_sessions(app, "after_commit", messaging.hand_over_committed)
    listen_to_sessions(app, "after_rollback", messaging.forget_rolled_back)
