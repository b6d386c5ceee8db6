"""The editors' workspace: search, as a caller would get it."""

from __future__ import annotations

from flask import (
    render_template,
    request,
)

from centre import languages
from knowledge import search
from knowledge.workspace.base import READ_ROLES, VERDICT_NAMES, bp
from staff import role_required


@bp.get("/search")
@role_required(*READ_ROLES)
def search_page() -> str:
    """Search the published guide with the phone's matcher; show the verdict and the scores."""
    code = request.args.get("lang", "")
    language = code if code in languages.BY_CODE else languages.DEFAULT.code
    phrase = request.args.get("q", "").strip()[:300]
    matches, outcome = [], None
    if phrase:
        matches = search.search(phrase, language, 5)
        outcome = search.verdict(matches, language)
    return render_template(
        "knowledge/search.html",
        phrase=phrase,
        language=language,
        matches=matches,
        outcome=outcome,
        verdict_names=VERDICT_NAMES,
        thresholds=(search.CLEAR_MIN, search.CLEAR_MARGIN, search.CLOSE_MIN),
    )
