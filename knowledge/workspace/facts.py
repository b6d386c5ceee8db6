"""The editors' workspace: a service's facts."""

from __future__ import annotations

from typing import Any

from flask import (
    render_template,
    request,
    url_for,
)
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from centre.extensions import db
from knowledge import editing
from knowledge.editing import FactsConflict
from knowledge.models import Service, ServiceFacts
from knowledge.workspace.base import (
    EDIT_ROLES,
    EMPTY_ROWS,
    READ_ROLES,
    _author,
    _can_edit,
    _differing,
    _service,
    bp,
)
from knowledge.workspace.drafts import _compare, _publish, _restore, _save
from staff import role_required


def _facts_form(form: MultiDict[str, str]) -> dict[str, Any]:
    """Return the facts the form sent; without its marker field, nothing."""
    if form.get("facts_form") != "1":
        return {}
    fields: dict[str, Any] = {
        name: form.get(name, "")
        for name in (
            "category",
            "position",
            "source_url",
            "source_language",
            "delay_days",
            "appointment_required",
            "presence_required",
        )
    }
    fields["published"] = form.get("published") == "on"
    fields["verified"] = form.get("verified") == "on"
    amounts, checked = form.getlist("fee_amount"), form.getlist("fee_checked")
    fields["fees"] = [
        {
            "kind": kind,
            "amount_dh": amounts[i] if i < len(amounts) else "",
            "checked_on": checked[i] if i < len(checked) else "",
        }
        for i, kind in enumerate(form.getlist("fee_kind"))
    ]
    return fields


def _render_facts(
    service: Service,
    values: dict[str, Any] | None = None,
    error: str | None = None,
    status: int = 200,
    theirs: ServiceFacts | None = None,
    seen_revision: str | None = None,
) -> tuple[str, int]:
    shown = values if values is not None else editing.latest_facts(service)
    their_values = editing.facts_values(theirs) if theirs else None
    page = render_template(
        "knowledge/facts.html",
        service=service,
        values=shown,
        draft=editing.open_facts_draft(service),
        versions=editing.facts_history(service),
        categories=editing.all_categories(),
        default_source=editing.default_source_language(),
        can_edit=_can_edit(),
        error=error,
        empty_rows=EMPTY_ROWS,
        limits=editing.LIMITS,
        revision=seen_revision or editing.facts_revision(service),
        theirs=theirs,
        their_values=their_values,
        differing=_differing(their_values, shown, editing.clean_facts, editing.FACT_FIELDS),
    )
    return page, status


@bp.route("/services/<slug>/facts", methods=["GET", "POST"])
@role_required(*READ_ROLES)
def edit_facts(slug: str) -> tuple[str, int] | Response:
    """Show the service's language-independent facts; save them as a draft."""
    service = _service(slug)
    if request.method == "GET":
        return _render_facts(service)
    fields = _facts_form(request.form)

    seen = request.form.get("revision")

    def again(error: str) -> tuple[str, int]:
        typed = {**editing.latest_facts(service), **fields}
        return _render_facts(service, typed, error, 422, seen_revision=seen)

    try:
        return _save(
            service,
            url_for(".edit_facts", slug=slug),
            lambda: editing.save_facts(service, fields, _author(), seen),
            again,
        )
    except FactsConflict as conflict:
        db.session.rollback()
        # As for texts: nothing of theirs is overwritten and nothing typed is lost. Their
        # facts are shown beside the form, which keeps this editor's and now carries their
        # revision, so saving again is a choice made having seen them.
        typed = {**editing.latest_facts(service), **fields}
        return _render_facts(
            service, typed, conflict.message, 409, theirs=editing.newest_facts(service)
        )


@bp.post("/services/<slug>/facts/publish")
@role_required(*EDIT_ROLES)
def publish_facts(slug: str) -> Response:
    """Publish the facts draft onto the service."""
    service = _service(slug)
    return _publish(
        lambda: editing.publish_facts(service, _author()), url_for(".edit_facts", slug=slug)
    )


@bp.post("/services/<slug>/facts/restore")
@role_required(*EDIT_ROLES)
def restore_facts(slug: str) -> Response:
    """Write an earlier facts version into the facts draft."""
    service = _service(slug)
    return _restore(
        lambda number: editing.restore_facts(service, number, _author()),
        url_for(".edit_facts", slug=slug),
    )


@bp.get("/services/<slug>/facts/compare")
@role_required(*READ_ROLES)
def compare_facts(slug: str) -> tuple[str, int]:
    """Show what changed between two versions of the facts."""
    service = _service(slug)
    return _compare(
        service, None, editing.facts_history(service), editing.facts_values, editing.FACT_FIELDS
    )
