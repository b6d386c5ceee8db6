"""The application factory: settings, extensions, blueprints, commands. Nothing else."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

import cases
import centre
import desk
import ivr
import knowledge
import operations
import reports
import staff
import tickets
from centre import deadlines, logs, settings
from centre.extensions import babel, csrf, db, init_sqlite, migrate
from centre.locale import select_locale

MIGRATIONS = settings.project_directory("migrations")
# Every package wires itself (blueprints, commands, phone nodes, seeders, listeners), bottom
# layer first: the kernel, the domains, then what spans them. The main menu lists the options
# the domains register in this order (the guide's key 1 before the cases' key 2).
PACKAGES = (centre, staff, tickets, ivr, knowledge, cases, desk, reports, operations)


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
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)  # type: ignore[method-assign]  # Werkzeug's way to wrap the WSGI app

    db.init_app(app)
    init_sqlite(app)
    deadlines.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS))
    babel.init_app(app, locale_selector=select_locale)
    csrf.init_app(app)

    for package in PACKAGES:
        package.init_app(app)
    return app
