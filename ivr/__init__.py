"""The phone menu: Twilio Voice webhooks, the call flow as data, and a driver that plays Twilio."""

from __future__ import annotations

from flask import Flask

from centre.forgetting import register_forget_caller
from centre.sessions import without_cookies
from ivr import desk_calls, menus, privacy, simulator, sms, status, views
from ivr.cli import call_command


def init_app(app: Flask) -> None:
    """Register the webhooks (the desk's calls too), the centre's nodes, `call`, the simulator, forgetting."""
    menus.register_nodes()
    app.register_blueprint(views.bp)
    app.register_blueprint(desk_calls.bp)
    app.register_blueprint(sms.bp)
    without_cookies(app, views.bp.name, desk_calls.bp.name, sms.bp.name, status.bp.name)
    status.init_app(app)
    if app.config["SIMULATOR_ENABLED"]:
        app.register_blueprint(simulator.bp)
    app.cli.add_command(call_command)
    register_forget_caller(app, privacy.forget_caller)
