"""Running the centre: what spans the domains (hours and notices pages, setup, demo data, privacy)."""

from __future__ import annotations

from flask import Flask

from operations import admin
from operations.cli import register_commands


def init_app(app: Flask) -> None:
    """Register the centre's admin pages and the `setup`, calendar, notices and privacy commands."""
    app.register_blueprint(admin.bp)
    register_commands(app)
