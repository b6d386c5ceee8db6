"""The editors' workspace: what callers said that the guide did not answer, and adding it."""

from __future__ import annotations

from collections.abc import Callable
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
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from centre import languages
from centre.formatting import isolated
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
        outcome = search.verdict(search.search(found.phrase, found.language), found.language)
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

    def imagine(found: Any, service: Service) -> list[search.Match]:
        term = " ".join(found.phrase.split())[: editing.LIMITS["term"]]
        return search.search_with(found.phrase, found.language, service.slug, term=term)

    def done(found: Any, service: Service) -> str:
        return gettext(
            "“%(phrase)s” is now a synonym of %(service)s, from the next call.",
            phrase=isolated(found.phrase),
            service=_title(service),
        )

    return _add(phrase_id, "synonym", imagine, editing.add_synonym, done)


@bp.route("/unmatched/<int:phrase_id>/example", methods=["GET", "POST"])
@role_required(*EDIT_ROLES)
def add_example(phrase_id: int) -> str | Response:
    """Show what the phrase finds now and as an example question of the service; publish if confirmed.

    As for a synonym: nothing goes live before the editor has seen both and confirmed. A phrase
    too long for an example, or one the service has already, is refused before the preview.
    """

    def imagine(found: Any, service: Service) -> list[search.Match]:
        example = editing.example_of(found, service)  # refused here, before any preview
        return search.search_with(found.phrase, found.language, service.slug, example=example)

    def done(found: Any, service: Service) -> str:
        return gettext(
            "“%(phrase)s” is now an example question of %(service)s, from the next call.",
            phrase=isolated(found.phrase),
            service=_title(service),
        )

    return _add(phrase_id, "example", imagine, editing.add_example, done)


def _add(
    phrase_id: int,
    kind: str,
    imagine: Callable[[Any, Service], list[search.Match]],
    publish: Callable[[Any, Service, Any], object],
    done: Callable[[Any, Service], str],
) -> str | Response:
    """Preview adding the phrase to the chosen service as `kind`; publish it once confirmed."""
    found, service, back = _chosen(phrase_id)
    if service is None:
        return redirect(back)
    try:
        if request.method == "GET" or not request.form.get("confirmed"):
            return _preview(found, service, back, kind, imagine(found, service))
        publish(found, service, _author())
    except EditRefused as refused:
        return _refused(refused, back)
    return _done(done(found, service), back)


def _chosen(phrase_id: int) -> tuple[Any, Service | None, str]:
    """Return the phrase (404 if unknown), the service chosen for it, and the list to go back to.

    No service chosen: a message is flashed, and the service is None.
    """
    found = editing.phrase(phrase_id)
    if found is None:
        abort(404)
    back = url_for(".unmatched", lang=request.args.get("lang") or None)
    service = editing.service_by_slug(request.values.get("service", ""))
    if service is None:
        flash(gettext("Choose a service."))
    return found, service, back


def _title(service: Service) -> str:
    """Return the service's title in the editor's language."""
    return dict(_service_titles(_editor_language())).get(service.slug, service.slug)


# What each way of adding a phrase is called on its preview page.
ADDING = {
    "synonym": {
        "heading": _l("Add a synonym"),
        "becomes": _l("It would become a synonym of: %(service)s"),
        "after": _l("Once it is a synonym"),
        "confirm": _l("Publish this synonym"),
        "endpoint": ".add_synonym",
    },
    "example": {
        "heading": _l("Add an example question"),
        "becomes": _l("It would become an example question of: %(service)s"),
        "after": _l("Once it is an example question"),
        "confirm": _l("Publish this example question"),
        "endpoint": ".add_example",
    },
}


def _preview(found: Any, service: Service, back: str, kind: str, after: list[Any]) -> str:
    """Render what callers saying the phrase hear today, and once it is added as `kind`."""
    names = ADDING[kind]
    titles = dict(_service_titles(_editor_language()))
    outcomes = [
        (
            gettext("Today"),
            search.verdict(search.search(found.phrase, found.language), found.language),
        ),
        (str(names["after"]), search.verdict(after, found.language)),
    ]
    return render_template(
        "knowledge/add_phrase.html",
        kind=kind,
        heading=names["heading"],
        becomes=str(names["becomes"]) % {"service": titles.get(service.slug, service.slug)},
        confirm=names["confirm"],
        endpoint="guide_editor" + str(names["endpoint"]),
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
