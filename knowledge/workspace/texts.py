"""The editors' workspace: a service's text in one language, beside another."""

from __future__ import annotations

from typing import Any

from flask import (
    flash,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from centre import languages
from centre.extensions import db
from knowledge import editing, preview
from knowledge.editing import EditConflict, EditRefused
from knowledge.models import CONDITIONS, Service
from knowledge.workspace.base import (
    EDIT_ROLES,
    EMPTY_ROWS,
    READ_ROLES,
    _author,
    _can_edit,
    _differing,
    _done,
    _language,
    _refused,
    _service,
    bp,
)
from knowledge.workspace.drafts import Draft, _compare, _publish, _restore, _save
from staff import audit, current_staff, kept, role_required


def _text_form(form: MultiDict[str, str]) -> dict[str, Any]:
    """Return the text fields the form sent (absent ones are left as they are)."""
    fields: dict[str, Any] = {}
    for name in (
        "title",
        "summary",
        "eligibility",
        "fee_text",
        "delay_text",
        "where_to_apply",
        "keywords",
        "synonyms",
        "examples",
    ):
        if name in form:
            fields[name] = form.get(name, "")
    if "doc_text" in form:
        whens = form.getlist("doc_when")
        fields["documents"] = [
            {"text": text, "when": whens[i] if i < len(whens) else ""}
            for i, text in enumerate(form.getlist("doc_text"))
        ]
    return fields


def _typed(service: Service, language: str, fields: dict[str, Any]) -> dict[str, Any]:
    """Return the text as the editor typed it, over the stored one, to show back in the form."""
    latest = editing.latest_text(service, language)
    values = {**(editing.text_values(latest) if latest else {}), **fields}
    for name in ("keywords", "synonyms", "examples"):
        if isinstance(values.get(name), str):
            values[name] = values[name].splitlines()
    return values


def _other_language(service: Service, language: str) -> str:
    wanted = request.args.get("with", "")
    if wanted in languages.BY_CODE and wanted != language:
        return wanted
    source = editing.source_language(service)
    return source if source != language else ("en" if language != "en" else "fr")


def _render_text(
    service: Service,
    language: str,
    values: dict[str, Any] | None = None,
    error: str | None = None,
    status: int = 200,
    theirs: Draft | None = None,
    seen_revision: str | None = None,
) -> tuple[str, int]:
    other = _other_language(service, language)
    latest = editing.latest_text(service, language)
    if values is None:
        values = editing.text_values(latest) if latest else {}
    shown = editing.latest_text(service, other)
    reference = editing.published_text(service, other) or shown
    spoken = preview.preview(service, latest) if latest else None
    their_values = editing.text_values(theirs) if theirs else None
    history = [
        entry
        for entry in audit.history(editing.TARGET, [service.id])
        if (entry.after or {}).get("language") in (language, None)
    ][-30:]
    page = render_template(
        "knowledge/edit.html",
        service=service,
        language=languages.get(language),
        other=languages.get(other),
        values=values,
        reference=reference,
        latest=latest,
        draft=editing.open_draft(service, language),
        published=editing.published_text(service, language),
        versions=editing.versions(service, language),
        preview=spoken,
        source=editing.source_language(service),
        conditions=CONDITIONS,
        empty_rows=EMPTY_ROWS,
        history=list(reversed(history)),
        can_edit=_can_edit(),
        error=error,
        words_per_minute=preview.WORDS_PER_MINUTE.get(language, 150),
        text_fields=editing.TEXT_FIELDS,
        limits=editing.LIMITS,
        revision=seen_revision or editing.text_revision(service, language),
        theirs=theirs,
        their_values=their_values,
        differing=_differing(their_values, values, editing.clean_text, editing.TEXT_FIELDS),
    )
    return page, status


def _text_page(slug: str, language: str) -> str:
    return url_for(".edit_text", slug=slug, code=language)


@bp.route("/services/<slug>/<code>", methods=["GET", "POST"])
@role_required(*READ_ROLES)
def edit_text(slug: str, code: str) -> tuple[str, int] | Response:
    """Show the service's text in `code` beside another language; save it as a draft."""
    service, language = _service(slug), _language(code)
    if request.method == "GET":
        user = current_staff()
        typed = kept.take(user, request.path) if user is not None and _can_edit() else None
        if typed is None:
            return _render_text(service, language)
        # Taken back once (the request commits it).
        flash(
            gettext(
                "What you typed before your session expired is back in the form: "
                "check it, then save."
            )
        )
        return _render_text(
            service,
            language,
            _typed(service, language, _text_form(typed)),
            seen_revision=typed.get("revision"),
        )
    fields = _text_form(request.form)

    def again(error: str) -> tuple[str, int]:
        return _render_text(service, language, _typed(service, language, fields), error, 422)

    values: dict[str, Any] = {"with": request.args.get("with")}  # a keyword: passed as a mapping
    here = url_for(".edit_text", slug=slug, code=language, **values)
    seen = request.form.get("revision")
    try:
        return _save(
            service,
            here,
            lambda: editing.save_text(service, language, fields, _author(), seen),
            again,
        )
    except EditConflict as conflict:
        db.session.rollback()
        # Nothing of theirs is overwritten and nothing typed is lost: their version is shown
        # beside the form, which still holds this editor's text and now carries their revision.
        values = _typed(service, language, fields)
        return _render_text(
            service,
            language,
            values,
            conflict.message,
            409,
            theirs=editing.latest_text(service, language),
        )


@bp.post("/services/<slug>/<code>/publish")
@role_required(*EDIT_ROLES)
def publish_text(slug: str, code: str) -> Response:
    """Publish the draft: callers hear it from the next call."""
    service, language = _service(slug), _language(code)
    return _publish(
        lambda: editing.publish_text(service, language, _author()), _text_page(slug, language)
    )


@bp.post("/services/<slug>/<code>/review")
@role_required(*EDIT_ROLES)
def review_text(slug: str, code: str) -> Response:
    """Mark a stale translation reviewed and still correct."""
    service, language = _service(slug), _language(code)
    try:
        editing.review_text(service, language, _author())
    except EditRefused as refused:
        return _refused(refused, _text_page(slug, language))
    return _done(gettext("Marked as reviewed and still correct."), _text_page(slug, language))


@bp.post("/services/<slug>/<code>/restore")
@role_required(*EDIT_ROLES)
def restore_text(slug: str, code: str) -> Response:
    """Write an earlier version into the draft, to check and publish."""
    service, language = _service(slug), _language(code)
    return _restore(
        lambda number: editing.restore_text(service, language, number, _author()),
        _text_page(slug, language),
    )


@bp.get("/services/<slug>/<code>/compare")
@role_required(*READ_ROLES)
def compare_text(slug: str, code: str) -> tuple[str, int]:
    """Show what changed, field by field, between two versions of a text."""
    service, language = _service(slug), _language(code)
    return _compare(
        service,
        language,
        editing.versions(service, language),
        editing.text_values,
        editing.TEXT_FIELDS,
    )
