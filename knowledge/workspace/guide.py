"""The editors' workspace: the guide and its translation status."""

from __future__ import annotations

from flask import (
    render_template,
    request,
    url_for,
)
from flask_babel import gettext
from werkzeug.wrappers import Response

from centre import languages
from knowledge import editing
from knowledge.editing import EditRefused
from knowledge.workspace.base import (
    EDIT_ROLES,
    READ_ROLES,
    _author,
    _can_edit,
    _done,
    _editor_language,
    _refused,
    bp,
)
from staff import role_required


@bp.get("/", endpoint="index")
@role_required(*READ_ROLES)
def index() -> str:
    """Show every service's translation status per language (current, stale, missing, draft).

    Services are named in the editor's interface language (`?titles=<code>` for another), or
    in their source language where that text does not exist yet.
    """
    rows, totals = editing.translation_status()
    code = str(request.args.get("titles") or "")
    titles_in = code if code in languages.BY_CODE else _editor_language()
    titles = {}
    for row in rows:
        text = editing.latest_text(row.service, titles_in) or editing.latest_text(
            row.service, row.source
        )
        titles[row.service.id] = text.title if text else row.service.slug
    return render_template(
        "knowledge/index.html",
        rows=rows,
        totals=totals,
        titles=titles,
        categories=editing.all_categories(),
        can_edit=_can_edit(),
    )


@bp.post("/services")
@role_required(*EDIT_ROLES)
def new_service() -> Response:
    """Add a service (unpublished); its facts and texts are then written in the workspace."""
    try:
        service = editing.create_service(
            request.form.get("slug", "")[:60], request.form.get("category", "")[:60], _author()
        )
    except EditRefused as refused:
        return _refused(refused, url_for(".index"))
    return _done(
        gettext("Service added: write its facts, then its texts."),
        url_for(".edit_facts", slug=service.slug),
    )
