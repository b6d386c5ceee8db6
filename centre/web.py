"""The shared page layout and stylesheet every page extends."""

from __future__ import annotations

from flask import Blueprint, request, session
from flask_babel import get_locale

from centre import languages
from centre.sessions import cookieless

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


@bp.app_template_filter("country_name")
def country_name(code: str | None) -> str:
    """Name a country (by its ISO code) in the page's language: "DE" is "Allemagne" in French."""
    return languages.country_name_in(code or "", str(get_locale() or languages.DEFAULT.code))


@bp.app_template_global("countries")
def countries() -> list[tuple[str, str]]:
    """Return the centre's countries, (code, name), named and sorted in the page's language."""
    return languages.countries_in(str(get_locale() or languages.DEFAULT.code))


@bp.before_app_request
def remember_page_language() -> None:
    """Keep a language picked with ?lang= for the visitor's next pages (a webhook has none)."""
    if cookieless():
        return
    chosen = request.args.get("lang")
    if chosen in languages.BY_CODE:
        session["lang"] = chosen
