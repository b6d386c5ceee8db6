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

from knowledge import editing
from knowledge.models import Service
from knowledge.workspace.base import (
    EDIT_ROLES,
    EMPTY_ROWS,
    READ_ROLES,
    _author,
    _can_edit,
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
) -> tuple[str, int]:
    page = render_template(
        "knowledge/facts.html",
        service=service,
        values=values if values is not None else editing.latest_facts(service),
        draft=editing.open_facts_draft(service),
        versions=editing.facts_history(service),
        categories=editing.all_categories(),
        default_source=editing.default_source_language(),
        can_edit=_can_edit(),
        error=error,
        empty_rows=EMPTY_ROWS,
        limits=editing.LIMITS,
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

    def again(error: str) -> tuple[str, int]:
        return _render_facts(service, {**editing.latest_facts(service), **fields}, error, 422)

    return _save(
        service,
        url_for(".edit_facts", slug=slug),
        lambda: editing.save_facts(service, fields, _author()),
        again,
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
