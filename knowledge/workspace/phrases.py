"""The editors' workspace: what callers said that the guide did not answer."""

from __future__ import annotations

from typing import Any

from flask import (
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext
from werkzeug.wrappers import Response

from centre import languages
from knowledge import editing, search, services
from knowledge.editing import EditRefused
from knowledge.models import Service
from knowledge.workspace.base import (
    EDIT_ROLES,
    READ_ROLES,
    VERDICT_NAMES,
    _author,
    _can_edit,
    _done,
    _editor_language,
    _refused,
    _service_titles,
    bp,
)
from staff import role_required


@bp.get("/unmatched")
@role_required(*READ_ROLES)
def unmatched() -> str:
    """List the phrases that matched nothing or led to an agent, most frequent first.

    A service is proposed for a phrase only when the phone's search would offer it (a clear
    answer or a close call): a greeting or a question the guide does not cover gets none.
    """
    code = request.args.get("lang", "")
    language = code if code in languages.BY_CODE else None
    phrases = services.unmatched(language)
    suggestions = {}
    for found in phrases:
        outcome = search.verdict(search.search(found.phrase, found.language))
        suggestions[found.id] = outcome.matches[0].slug if outcome.kind != "none" else ""
    return render_template(
        "knowledge/unmatched.html",
        phrases=phrases,
        language=language,
        suggestions=suggestions,
        choices=_service_titles(_editor_language()),
        can_edit=_can_edit(),
    )


@bp.route("/unmatched/<int:phrase_id>/synonym", methods=["GET", "POST"])
@role_required(*EDIT_ROLES)
def add_synonym(phrase_id: int) -> str | Response:
    """Show what the phrase finds now and as a synonym of the chosen service; publish if confirmed.

    Nothing goes live before the editor has seen both and confirmed (a posted `confirmed`).
    """
    found = editing.phrase(phrase_id)
    if found is None:
        abort(404)
    back = url_for(".unmatched", lang=request.args.get("lang") or None)
    service = editing.service_by_slug(request.values.get("service", ""))
    if service is None:
        flash(gettext("Choose a service."))
        return redirect(back)
    if request.method == "GET" or not request.form.get("confirmed"):
        return _synonym_preview(found, service, back)
    try:
        editing.add_synonym(found, service, _author())
    except EditRefused as refused:
        return _refused(refused, back)
    title = dict(_service_titles(_editor_language())).get(service.slug, service.slug)
    return _done(
        gettext(
            "“%(phrase)s” is now a synonym of %(service)s, from the next call.",
            phrase=found.phrase,
            service=title,
        ),
        back,
    )


def _synonym_preview(found: Any, service: Service, back: str) -> str:
    """Render what callers saying the phrase hear today, and once it is the service's synonym."""
    term = " ".join(found.phrase.split())[: editing.LIMITS["term"]]
    before = search.search(found.phrase, found.language)
    after = search.search_with(found.phrase, found.language, service.slug, term)
    titles = dict(_service_titles(_editor_language()))
    outcomes = [
        (gettext("Today"), search.verdict(before)),
        (gettext("Once it is a synonym"), search.verdict(after)),
    ]
    return render_template(
        "knowledge/synonym.html",
        phrase=found,
        service=service,
        titles=titles,
        outcomes=outcomes,
        verdict_names=VERDICT_NAMES,
        back=back,
    )


@bp.post("/unmatched/<int:phrase_id>/dismiss")
@role_required(*EDIT_ROLES)
def dismiss_phrase(phrase_id: int) -> Response:
    """Take a phrase off the list without adding it to the guide."""
    found = editing.phrase(phrase_id)
    if found is None:
        abort(404)
    editing.dismiss(found, _author())
    return _done(
        gettext("Phrase dismissed."), url_for(".unmatched", lang=request.args.get("lang") or None)
    )
