"""Case status: the applications store, its two feeds (CSV import, push API) and option 2 by phone."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Add the push API, the `cases` commands and main-menu option 2 to the app."""
    from flask_babel import lazy_gettext as _l

    from cases import phone  # noqa: F401  (registers the lookup's nodes)
    from cases.cli import cases_group
    from cases.views import bp
    from ivr.flow import Option
    from ivr.menus import register_main_option

    app.register_blueprint(bp)
    app.cli.add_command(cases_group)
    register_main_option(
        app,
        Option(
            "2",
            _l("To know where your application stands, press %(key)s."),
            "case_reference",
            _l("application, case, status, file, passport"),
        ),
    )
