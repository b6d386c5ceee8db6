"""The consular guide: structured services in seven languages, searched by voice and keypad."""

from __future__ import annotations

from functools import partial

from flask import Flask

from centre import languages, revisions
from centre.extensions import listen_to_sessions
from centre.warming import register_warmer
from ivr.menus import register_main_option, register_main_speech
from knowledge import phone, search, services, views, workspace
from knowledge.cli import guide_group
from knowledge.models import GUIDE_REVISION, GUIDE_TOKEN
from knowledge.seed import load_seed
from staff import register_home


def init_app(app: Flask) -> None:
    """Add the guide to the main menu (key 1 and speech), its nodes, seeding, pages and commands."""
    phone.register_nodes()
    register_main_option(app, phone.GUIDE_OPTION)
    register_main_speech(app, phone.main_menu_speech)
    app.extensions.setdefault("setup.seeders", []).append(load_seed)
    app.register_blueprint(views.bp)
    app.register_blueprint(workspace.bp)
    register_home("editor", "guide_editor.index")
    app.cli.add_command(guide_group)
    listen_to_sessions(app, "before_flush", services.bump_revision)
    for code in languages.CODES:  # one at a time: gunicorn's worker reports between them
        register_warmer(app, partial(search.index_for, code))
    revisions.kept_elsewhere(GUIDE_REVISION, GUIDE_TOKEN)
