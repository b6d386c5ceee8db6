"""Supervisors' page of prepared replies: the texts agents send callers, in each language.

Thin: read the form, call tickets.replies, log it, say what happened; the request commits.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from centre import languages
from centre.extensions import db
from centre.refusals import Refused
from staff import audit, role_required
from tickets import replies
from tickets.replies import ReplyTemplate

bp = Blueprint(
    "reply_templates", __name__, url_prefix="/centre/replies", template_folder="templates"
)
ROLES = ("supervisor", "admin")
ACTION_NAMES = {
    "reply.add": _l("Prepared reply added"),
    "reply.edit": _l("Prepared reply changed"),
    "reply.remove": _l("Prepared reply removed"),
}


def register() -> None:
    """Name the page's audit actions and targets for the log's readers."""
    audit.ACTION_NAMES.update(ACTION_NAMES)
    audit.TARGET_NAMES.setdefault("reply_template", _l("Prepared reply"))
    audit.FIELD_NAMES.setdefault("title", _l("title"))
    audit.FIELD_NAMES.setdefault("language", _l("language"))


def _fields(form: Any) -> tuple[str, str, str]:
    language = form.get("language", "")
    title = " ".join(form.get("title", "").split())
    body = form.get("body", "").strip()
    if language not in languages.BY_CODE:
        raise Refused(gettext("Choose the language of the reply."))
    if not title or len(title) > replies.TITLE_MAX:
        raise Refused(
            gettext("Give the reply a title of at most %(max)s characters.", max=replies.TITLE_MAX)
        )
    if not body or len(body) > replies.BODY_MAX:
        raise Refused(gettext("Write the reply, at most %(max)s characters.", max=replies.BODY_MAX))
    return language, title, body


def _page(template: ReplyTemplate | None) -> str | Response | tuple[str, int]:
    form = request.form
    if request.method == "POST":
        try:
            language, title, body = _fields(form)
        except Refused as refused:
            db.session.rollback()
            return _render(template, form, refused.message), 422
        before = {"language": template.language, "title": template.title} if template else None
        kept = replies.keep(template, language, title, body)
        audit.record(
            "reply.edit" if template else "reply.add",
            "reply_template",
            kept.id,
            before,
            {"language": language, "title": title},
        )
        flash(gettext("Prepared reply saved."))
        return redirect(url_for("reply_templates.index"))
    shown = (
        {"language": template.language, "title": template.title, "body": template.body}
        if template
        else {"language": request.args.get("language", "")}
    )
    return _render(template, shown, None)


def _render(template: ReplyTemplate | None, form: Any, error: str | None) -> str:
    return render_template(
        "centre_admin/replies.html",
        templates=replies.every_template(),
        editing=template,
        form=form,
        error=error,
        languages=languages.LANGUAGES,
    )


@bp.route("/", methods=["GET", "POST"])
@role_required(*ROLES)
def index() -> str | Response | tuple[str, int]:
    """List the prepared replies by language; add one."""
    return _page(None)


@bp.route("/<int:template_id>", methods=["GET", "POST"])
@role_required(*ROLES)
def edit(template_id: int) -> str | Response | tuple[str, int]:
    """Change a prepared reply."""
    return _page(db.session.get(ReplyTemplate, template_id) or abort(404))


@bp.get("/<int:template_id>/remove")
@role_required(*ROLES)
def confirm_remove(template_id: int) -> str:
    """Ask before removing a prepared reply, showing it."""
    template = db.session.get(ReplyTemplate, template_id) or abort(404)
    details = [
        f"{languages.name_in(template.language, _locale())} · {template.title}",
        template.body,
    ]
    return render_template(
        "centre_admin/confirm.html",
        title=gettext("Remove this prepared reply?"),
        details=details,
        back=url_for("reply_templates.index"),
        action=url_for("reply_templates.remove", template_id=template.id),
    )


def _locale() -> str:
    return str(get_locale() or languages.DEFAULT.code)


@bp.post("/<int:template_id>/remove")
@role_required(*ROLES)
def remove(template_id: int) -> Response:
    """Remove a prepared reply (confirmed on its own page first)."""
    template = db.session.get(ReplyTemplate, template_id) or abort(404)
    audit.record(
        "reply.remove",
        "reply_template",
        template.id,
        {"language": template.language, "title": template.title},
        None,
    )
    db.session.delete(template)
    flash(gettext("Prepared reply removed."))
    return redirect(url_for("reply_templates.index"))
