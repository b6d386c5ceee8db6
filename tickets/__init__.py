"""Tickets: everything that needs a human (complaints, suggestions, observations, callbacks, escalations)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the agents' desk and its Twilio webhooks; agents and supervisors land on it."""
    from staff import register_home
    from tickets import audit_names, views, voice

    audit_names.register()
    app.register_blueprint(views.bp)
    app.register_blueprint(voice.bp)
    for role in ("agent", "supervisor"):
        register_home(role, "tickets.queue")
