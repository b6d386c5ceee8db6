"""The consular guide: structured services in seven languages, searched by voice and keypad."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Add the guide to the main menu (key 1), its call-flow nodes and its setup seeding."""
    from ivr.menus import register_main_option
    from knowledge import phone
    from knowledge.seed import load_seed

    phone.register_nodes()
    register_main_option(app, phone.GUIDE_OPTION)
    app.extensions.setdefault("setup.seeders", []).append(load_seed)
