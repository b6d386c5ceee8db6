"""The editors' workspace: the whole guide as one file."""

from __future__ import annotations

from flask import (
    render_template,
    request,
    url_for,
)
from flask_babel import gettext
from werkzeug.wrappers import Response

from centre.clock import now
from centre.extensions import db
from knowledge import transfer
from knowledge.workspace.base import EDIT_ROLES, READ_ROLES, _author, _can_edit, _done, bp
from staff import role_required


@bp.get("/file")
@role_required(*READ_ROLES)
def transfer_page() -> str:
    """Offer the guide's export and the import form."""
    return render_template("knowledge/transfer.html", can_edit=_can_edit())


@bp.get("/file/export")
@role_required(*READ_ROLES)
def export() -> Response:
    """Download the whole guide as YAML (or ?format=json)."""
    fmt = "json" if request.args.get("format") == "json" else "yaml"
    body = transfer.dump(transfer.export_guide(), fmt)
    stamp = now().strftime("%Y%m%d-%H%M")
    mimetype = "application/json" if fmt == "json" else "application/yaml"
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="guide-{stamp}.{fmt}"'},
    )


@bp.post("/file/import")
@role_required(*EDIT_ROLES)
def import_file() -> tuple[str, int] | Response:
    """Import an uploaded guide file whole, or refuse it with the line and field at fault."""
    upload = request.files.get("file")
    publish = request.form.get("publish") == "on"
    problems: list[transfer.Problem] = []
    if upload is None or not upload.filename:
        problems = [transfer.Problem(1, "", gettext("Choose a file to import."))]
    else:
        try:
            text = upload.read().decode("utf-8")
        except UnicodeDecodeError:
            text = None
            problems = [transfer.Problem(1, "", gettext("The file must be UTF-8 text."))]
        if text is not None:
            try:
                summary = transfer.import_guide(text, _author(), publish)
            except transfer.ImportRefused as refused:
                problems = refused.problems
    if problems:
        db.session.rollback()
        page = render_template("knowledge/transfer.html", can_edit=True, problems=problems)
        return page, 422
    return _done(
        gettext(
            "Imported. Texts or facts changed: %(drafts)s; published: %(published)s; "
            "services added: %(services)s; categories added or changed: %(categories)s.",
            drafts=summary.drafts,
            published=summary.published,
            services=summary.services_added,
            categories=summary.categories,
        ),
        url_for(".transfer_page"),
    )
