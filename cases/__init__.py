"""Case status: the applications store, its two feeds (CSV import, push API) and option 2 by phone."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from cases import demo, phone, privacy
from cases.cli import cases_group
from cases.views import bp
from centre.forgetting import register_forget_caller
from ivr.flow import Option
from ivr.menus import register_main_option

CASES_OPTION = Option(
    "2",
    _l("To know where your application stands, press %(key)s."),
    "case_reference",
    _l("application, case, status, file, passport"),
)


def init_app(app: Flask) -> None:
    """Add the push API, the `cases` commands, the lookup's nodes, option 2 and forgetting."""
    phone.register_nodes()
    app.register_blueprint(bp)
    app.cli.add_command(cases_group)
    register_main_option(app, CASES_OPTION)
    register_forget_caller(app, privacy.forget_caller)
    app.extensions.setdefault("setup.demo", []).append(demo.demo_lines)
