"""The application factory: settings, extensions, blueprints, commands. Nothing else."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from centre import deadlines, logs, settings
from centre.extensions import babel, csrf, db, init_sqlite, migrate
from centre.locale import select_locale

MIGRATIONS = settings.project_directory("migrations")


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Create the app from the environment, with `config` overriding it (tests)."""
    app = Flask(__name__, instance_relative_config=True)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(settings.from_environment(os.environ))
    if config:
        app.config.update(config)
    settings.finish(app.config, Path(app.instance_path))
    logs.configure(app.config["LOG_LEVEL"])

    hops = app.config["TRUSTED_PROXIES"]
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)  # type: ignore[method-assign]

    db.init_app(app)
    init_sqlite(app)
    deadlines.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS))
    babel.init_app(app, locale_selector=select_locale)
    csrf.init_app(app)

    import cases
    import desk
    import knowledge
    import reports
    import staff
    from centre import ratelimit, web  # noqa: F401  (ratelimit: its table is part of the schema)
    from ivr import (
        desk_calls,
        menus,  # noqa: F401  (registers the call flow's nodes)
        simulator,
        views,
    )
    from knowledge import views as guide_views
    from operations import admin
    from operations.cli import register_commands

    app.register_blueprint(web.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(views.bp)
    app.register_blueprint(desk_calls.bp)
    app.register_blueprint(guide_views.bp)
    knowledge.init_app(app)
    staff.init_app(app)
    desk.init_app(app)
    reports.init_app(app)
    if app.config["SIMULATOR_ENABLED"]:
        app.register_blueprint(simulator.bp)
    register_commands(app)
    cases.init_app(app)
    return app
