"""The agents' desk: the queue, a ticket's page and what an agent does to it."""

from __future__ import annotations

from flask import Flask

from desk import answer, audit_names, views
from staff import register_home


def init_app(app: Flask) -> None:
    """Register the agents' desk; agents and supervisors land on it."""
    app.register_blueprint(views.bp)
    audit_names.register()
    answer.register()
    for role in ("agent", "supervisor"):
        register_home(role, "tickets.queue")
