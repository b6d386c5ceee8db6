"""The editors' workspace: the blueprint, its roles, and the helpers every page uses."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
)
from flask_babel import format_decimal, get_locale
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from centre import languages
from centre.extensions import db
from knowledge import editing
from knowledge.editing import FIELD_NAMES, Author, EditRefused
from knowledge.models import CONDITION_NAMES, FEE_KIND_NAMES, FEE_KINDS, Service
from staff import current_staff

# Its templates and static files are the knowledge package's (knowledge/templates, .../static).
bp = Blueprint(
    "guide_editor",
    __name__,
    url_prefix="/guide/editor",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
    root_path=str(Path(__file__).resolve().parent.parent),
)
READ_ROLES = ("editor", "admin", "supervisor")
EDIT_ROLES = ("editor", "admin")
EMPTY_ROWS = 2

STATE_NAMES = {
    "current": _l("current"),
    "stale": _l("stale"),
    "missing": _l("missing"),
    "draft": _l("draft"),
    "published": _l("published"),
    "archived": _l("archived"),
}
VERDICT_NAMES = {
    "clear": _l("Clear: the caller hears this answer at once."),
    "close": _l("Close call: the caller chooses among these on the keypad."),
    "none": _l("No match: the caller is told it is not in the guide, and the phrase is logged."),
}


@bp.app_template_global("rows_for")
def rows_for(text: str | list[str] | tuple[str, ...] | None, least: int = 2, most: int = 14) -> int:
    """Return how many rows a text area needs to show `text` whole (lines of about 50 signs)."""
    lines = list(text) if isinstance(text, list | tuple) else (text or "").split("\n")
    needed = sum(1 + len(line) // 50 for line in lines) + 1
    return max(least, min(most, needed))


@bp.app_template_filter("seconds")
def seconds(value: float) -> str:
    """Format a number of seconds with one decimal in the page's language."""
    return format_decimal(value, "0.#")


@bp.app_template_global("service_title")
def service_title(service: Service) -> str:
    """Return the service's published title in the editor's language (any language otherwise)."""
    for language in (_editor_language(), *languages.CODES):
        text = editing.published_text(service, language)
        if text is not None:
            return text.title
    return service.slug


@bp.app_context_processor
def workspace_names() -> dict[str, object]:
    """Give the workspace's templates the names of fields, states and languages."""
    return {
        "field_names": FIELD_NAMES,
        "state_names": STATE_NAMES,
        "guide_languages": languages.LANGUAGES,
        "condition_names": CONDITION_NAMES,
        "fee_kinds": FEE_KINDS,
        "fee_kind_names": FEE_KIND_NAMES,
    }


def _author() -> Author:
    return Author(user=current_staff())


def _can_edit() -> bool:
    user = current_staff()
    return user is not None and user.role in EDIT_ROLES


def _service(slug: str) -> Service:
    service = editing.service_by_slug(slug)
    if service is None:
        abort(404)
    return service


def _language(code: str) -> str:
    if code not in languages.BY_CODE:
        abort(404)
    return code


def _done(message: str, target: str) -> Response:
    flash(message)
    return redirect(target)


def _refused(refused: EditRefused, target: str) -> Response:
    db.session.rollback()
    flash(refused.message)
    return redirect(target)


def _differing(
    stored: dict[str, Any] | None,
    values: dict[str, Any],
    clean: Callable[[dict[str, Any]], dict[str, Any]],
    fields: Sequence[str],
) -> list[str]:
    """Return the fields where the stored version and the editor's (as `clean` reads it) differ."""
    if stored is None:
        return []
    try:
        mine = clean(values)
    except EditRefused:
        mine = values
    return [name for name in fields if stored.get(name) != mine.get(name)]


def _editor_language() -> str:
    """Return the guide language of the editor's interface (the guide's default otherwise)."""
    locale = get_locale()
    code = locale.language if locale is not None else ""
    return code if code in languages.BY_CODE else languages.DEFAULT.code


def _service_titles(language: str) -> list[tuple[str, str]]:
    """Return (slug, title) of every service published in `language`, by title."""
    found = []
    for service in editing.all_services():
        text = editing.published_text(service, language)
        if text is not None:
            found.append((service.slug, text.title))
    return sorted(found, key=lambda pair: pair[1].lower())
