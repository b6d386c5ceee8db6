"""The editors' workspace: what the text and the facts pages share: save a draft, publish, restore, compare."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from flask import (
    render_template,
    request,
)
from flask_babel import gettext
from werkzeug.wrappers import Response

from centre.extensions import db
from centre.formatting import page_language_names
from knowledge import diff, editing
from knowledge.editing import EditRefused
from knowledge.models import Service
from knowledge.workspace.base import _can_edit, _done, _refused
from staff.auth import refuse

Draft = Any  # a ServiceTranslation or ServiceFacts version


def _save(
    service: Service,
    here: str,
    save: Callable[[], Draft | None],
    again: Callable[[str], tuple[str, int]],
) -> tuple[str, int] | Response:
    """Save the form as the open draft; on refusal show the form `again` with the reason."""
    if not _can_edit():
        refuse(request.path, editing.TARGET, service.id)
    try:
        draft = save()
    except EditRefused as refused:
        db.session.rollback()
        return again(refused.message)
    if draft is None:
        return _done(gettext("Nothing changed."), here)
    return _done(
        gettext(
            "Draft saved (version %(version)s). Callers still hear the published "
            "version until you publish.",
            version=draft.version,
        ),
        here,
    )


def _publish(publish: Callable[[], list[str]], here: str) -> Response:
    """Publish the open draft; say which languages it marked stale."""
    try:
        stale = publish()
    except EditRefused as refused:
        return _refused(refused, here)
    message = gettext("Published: callers hear this version from now on.")
    if stale:
        message += " " + gettext(
            "Marked stale until reviewed: %(languages)s.", languages=page_language_names(stale)
        )
    return _done(message, here)


def _restore(restore: Callable[[int], Draft | None], here: str) -> Response:
    """Write the version the form names into the draft."""
    try:
        draft = restore(request.form.get("version", type=int) or 0)
    except EditRefused as refused:
        return _refused(refused, here)
    if draft is None:
        return _done(gettext("That version is the text already being edited."), here)
    return _done(
        gettext(
            "Version restored into the draft (version %(version)s): check it, then publish.",
            version=draft.version,
        ),
        here,
    )


def _compare(
    service: Service,
    language: str | None,
    history: Sequence[Draft],
    values: Callable[[Draft], dict[str, Any]],
    fields: Sequence[str],
) -> tuple[str, int]:
    """Show what changed, field by field, between ?a= and ?b= (else the two newest versions)."""
    found = {v.version: v for v in history}
    newest = history[0].version if history else 0
    older = history[1].version if len(history) > 1 else newest
    a, b = request.args.get("a", older, type=int), request.args.get("b", newest, type=int)
    page = partial(
        render_template,
        "knowledge/compare.html",
        service=service,
        language=language,
        versions=history,
        a=a,
        b=b,
    )
    if a not in found or b not in found:
        return page(changes=None, error=gettext("There is no such version.")), 404
    return page(changes=diff.compare(values(found[a]), values(found[b]), fields)), 200
