"""The shared page layout and stylesheet every page extends."""

from __future__ import annotations

from flask import Blueprint, request, session
from flask_babel import get_locale

from centre import languages

bp = Blueprint(
    "centre",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static/centre",
)


@bp.app_context_processor
def page_language() -> dict[str, object]:
    """Give every template the page's language, its direction and the language list."""
    code = str(get_locale() or languages.DEFAULT.code)
    return {
        "page_lang": code,
        "page_dir": languages.get(code).direction,
        "page_languages": languages.LANGUAGES,
    }


@bp.before_app_request
def remember_page_language() -> None:
    """Keep a language picked with ?lang= for the visitor's next pages."""
    chosen = request.args.get("lang")
    if chosen in languages.BY_CODE:
        session["lang"] = chosen
