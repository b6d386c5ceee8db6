"""Staff pages: login and logout, one's own account, accounts (admins), the audit log."""

from __future__ import annotations

import logging
from datetime import date, datetime

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from centre import languages
from centre.extensions import db
from centre.formatting import page_datetime, page_locale
from centre.transactions import keep_when_refused
from staff import accounts, audit, passwords
from staff.auth import (
    LoginRefused,
    authenticate,
    begin_session,
    current_staff,
    end_session,
    home_url,
    login_required,
    page_of_form,
    role_required,
    safe_next,
)
from staff.models import ROLES, StaffUser

log = logging.getLogger(__name__)
# The database did not answer: the bound on a wait ran out, the pool had no connection to
# give within its timeout, or the server refused (down, locked, a statement stopped).
NOT_ANSWERING = (sa.exc.OperationalError, sa.exc.TimeoutError)
bp = Blueprint(
    "staff",
    __name__,
    url_prefix="/staff",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)


@bp.app_template_filter("staff_datetime")
def staff_datetime(moment: datetime | None, style: str = "short") -> str:
    """Format a stored (naive UTC) timestamp in Moroccan time for the page's language."""
    return page_datetime(moment, style)


bp.add_app_template_global(audit.changed_fields, "changed_fields")


@bp.app_template_filter("language_name")
def language_name(code: str) -> str:
    """Name a language (by its code) in the page's language: "ar" is "Arabe" on a French page."""
    return languages.name_in(code, page_locale())


@bp.app_template_filter("action_name")
def action_name(action: str) -> str:
    """Name an audit log action ("ticket.assign") in the page's language."""
    return str(audit.ACTION_NAMES.get(action, action))


@bp.app_template_filter("target_name")
def target_name(target_type: str) -> str:
    """Name what an audit entry is about ("ticket") in the page's language."""
    return str(audit.TARGET_NAMES.get(target_type, target_type))


@bp.app_context_processor
def staff_context() -> dict[str, object]:
    """Give every template the logged-in staff member, the role names and the password limits."""
    return {
        "staff_user": current_staff(),
        "role_names": role_names(),
        "password_min": passwords.MIN_LENGTH,
        "password_max": passwords.MAX_LENGTH,
        "password_typed_max": passwords.TYPED_MAX_LENGTH,
    }


def role_names() -> dict[str, str]:
    """Return each role's name in the page's language."""
    return {
        "agent": gettext("Agent"),
        "supervisor": gettext("Supervisor"),
        "editor": gettext("Editor"),
        "admin": gettext("Administrator"),
    }


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response:
    """Show the login form; log in and go back where the person was headed."""
    target = safe_next(request.values.get("next"))
    if request.method == "GET":
        user = current_staff()
        if user is not None:
            return redirect(target or home_url(user))
        return render_template("staff/login.html", next=target or "")
    try:
        user = authenticate(request.form.get("email", ""), request.form.get("password", ""))
    except LoginRefused as refused:
        keep_when_refused()  # the failure counts and its audit entry are kept
        page = render_template(
            "staff/login.html",
            error=refused.message,
            next=target or "",
            email=request.form.get("email", "")[:254],
        )
        return Response(page, status=401, mimetype="text/html")
    begin_session(user)
    return redirect(target or home_url(user))


@bp.post("/logout")
def logout() -> Response:
    """End the session everywhere its cookie might be."""
    end_session()
    return redirect(url_for("staff.login"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account() -> str | Response:
    """Let a staff member set their language and phone, and change their password."""
    user = current_staff()
    assert user is not None
    error = None
    if request.method == "POST":
        try:
            if request.form.get("action") == "password":
                if not passwords.verify_password(
                    user.password_hash, request.form.get("current", "")
                ):
                    raise accounts.AccountRefused(gettext("Your current password is wrong."))
                accounts.set_password(user, request.form.get("new", ""), actor=user)
                begin_session(user)  # every other session ended with the change
                flash(gettext("Your password has been changed."))
            else:
                accounts.update_preferences(
                    user, request.form.get("locale") or None, request.form.get("phone") or None
                )
                flash(gettext("Saved."))
            return redirect(url_for("staff.account"))
        except accounts.AccountRefused as refused:
            db.session.rollback()
            error = refused.message
    return render_template(
        "staff/account.html", user=user, error=error, languages=languages.LANGUAGES
    )


@bp.get("/users")
@role_required("admin")
def users() -> str:
    """List every account."""
    return render_template("staff/users.html", users=accounts.all_accounts())


@bp.route("/users/new", methods=["GET", "POST"])
@role_required("admin")
def new_user() -> str | Response:
    """Create an account with its first password."""
    error = None
    form = request.form
    if request.method == "POST":
        try:
            user = accounts.create(
                form.get("email", ""),
                form.get("password", ""),
                form.get("role", ""),
                form.getlist("languages"),
                form.get("locale") or None,
                form.get("phone") or None,
                actor=current_staff(),
            )
            flash(gettext("Account created: %(email)s.", email=user.email))
            return redirect(url_for("staff.users"))
        except accounts.AccountRefused as refused:
            db.session.rollback()
            error = refused.message
    return render_template(
        "staff/user_form.html",
        user=None,
        error=error,
        form=form,
        roles=ROLES,
        languages=languages.LANGUAGES,
    )


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@role_required("admin")
def edit_user(user_id: int) -> str | Response:
    """Change an account's role, languages, phone, state, or password."""
    user = db.session.get(StaffUser, user_id) or abort(404)
    error = None
    form = request.form
    if request.method == "POST":
        try:
            if form.get("action") == "password":
                accounts.set_password(user, form.get("password", ""), actor=current_staff())
            else:
                accounts.update(
                    user,
                    form.get("role", ""),
                    form.getlist("languages"),
                    form.get("locale") or None,
                    form.get("phone") or None,
                    form.get("active") == "on",
                    actor=current_staff(),
                )
            flash(gettext("Saved."))
            return redirect(url_for("staff.edit_user", user_id=user.id))
        except accounts.AccountRefused as refused:
            db.session.rollback()
            user = db.session.get(StaffUser, user_id) or abort(404)
            error = refused.message
    return render_template(
        "staff/user_form.html",
        user=user,
        error=error,
        form=form,
        roles=ROLES,
        languages=languages.LANGUAGES,
    )


@bp.get("/audit")
@role_required("supervisor", "admin")
def audit_log() -> str:
    """Show the audit log, newest first, filtered by action and person."""
    action = request.args.get("action", "")[:40]
    actor = request.args.get("actor", "")[:254]
    before = request.args.get("before", type=int)
    first, last = _day(request.args.get("from")), _day(request.args.get("to"))
    found = audit.entries(action, actor, before, audit.PAGE_SIZE + 1, first, last)
    more = len(found) > audit.PAGE_SIZE
    found = found[: audit.PAGE_SIZE]
    choices = sorted(
        ((code, str(name)) for code, name in audit.ACTION_NAMES.items()),
        key=lambda choice: choice[1].casefold(),
    )
    filters = {
        "action": action,
        "actor": actor,
        "from": first.isoformat() if first else "",
        "to": last.isoformat() if last else "",
    }
    return render_template(
        "staff/audit.html",
        entries=found,
        action=action,
        actor=actor,
        choices=choices,
        next_before=found[-1].id if more else None,
        targets=audit.targets(found),
        changed=audit.changed_fields,
        filters=filters,
    )


def _day(text: str | None) -> date | None:
    """Return the ISO date given in a filter, or None when there is none or it is not a date."""
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


@bp.app_errorhandler(CSRFError)
def csrf_refused(error: CSRFError) -> tuple[str, int]:
    """Refuse a form without its token (an old page, or another site posting here)."""
    # The token is checked before the session is read (CSRFProtect's before_request comes
    # first), so who posted is not known here: counted per address and route, whatever ids a
    # flood puts in the path.
    route = request.url_rule.rule if request.url_rule else request.path
    audit.tally("csrf.refused", after={"path": route[:200]})
    keep_when_refused()
    message = gettext("This form has expired. Go back, reload the page and try again.")
    return render_template(
        "staff/error.html", heading=gettext("Form expired"), message=message
    ), 400


@bp.app_errorhandler(HTTPException)
def http_error(error: HTTPException) -> tuple[str | Response, int] | HTTPException:
    """Answer 403, 404 and other errors with a page in the person's language (JSON under /api/)."""
    failed = getattr(error, "original_exception", None)
    if isinstance(failed, NOT_ANSWERING) and not request.path.startswith("/ivr/"):
        # The database stopped answering after the view, at the request's commit: Flask hands
        # that over as a 500, but it is the same fault, and the form is kept the same way.
        return database_not_answering(failed)
    if error.code is None or error.code >= 500 or error.code in (301, 302, 303, 307, 308):
        return error
    if request.path.startswith("/api/"):
        return jsonify(
            {"error": "http_error", "message": error.description or error.name}
        ), error.code
    # A heading in words (a person does not read "404") and a sentence saying what to do.
    pages = {
        403: (gettext("Not allowed"), gettext("You are not allowed to see this page.")),
        404: (gettext("Page not found"), gettext("This page does not exist.")),
        413: (
            gettext("Too large"),
            gettext(
                "This file or form is too large: at most %(size)s MB is accepted.",
                size=(request.max_content_length or 0) // (1024 * 1024),
            ),
        ),
    }
    heading, message = pages.get(
        error.code,
        (gettext("Request not handled"), gettext("This request could not be handled.")),
    )
    return render_template("staff/error.html", heading=heading, message=message), error.code


# What a page that cannot reach the database never writes back into itself: a password.
_NEVER_CARRIED = ("csrf_token", "password")


def _carried_form() -> list[tuple[str, str]] | None:
    """Return the fields of the form just posted, to post again; None if it cannot come back."""
    if request.method != "POST" or request.files or request.endpoint == "staff.login":
        return None
    fields = [
        (name, value)
        for name, values in request.form.lists()
        if not any(word in name for word in _NEVER_CARRIED)
        for value in values
    ]
    return fields or None


@bp.app_errorhandler(sa.exc.OperationalError)
@bp.app_errorhandler(sa.exc.TimeoutError)
def database_not_answering(error: Exception) -> tuple[str | Response, int]:
    """Say the database is not answering (503), keeping on the page the form that was posted.

    Nothing here reads the database: the language comes from the staff member's cookie, and
    the form comes back from the request itself, to be posted again as it was, with the version
    it was loaded from (a change made meanwhile is then shown as a conflict).
    """
    if request.path.startswith("/ivr/"):
        raise error  # a Twilio webhook answers in its own way (TwiML), never with a page
    log.warning("%s %s: the database did not answer: %s", request.method, request.path, error)
    message = gettext("The database is not answering. Try again in a moment.")
    if request.path.startswith("/api/"):
        return jsonify({"error": "database_unavailable", "message": message}), 503
    g.staff = None  # who is asking is in the database: the page does without
    carried = _carried_form()
    page = render_template(
        "staff/unavailable.html",
        message=message,
        carried=carried,
        # Typed words, shown so the person sees they are not lost (ids and choices are not).
        typed=[value for _, value in carried or () if any(c.isspace() for c in value.strip())],
        again=request.full_path.rstrip("?") if request.method == "GET" else page_of_form(),
    )
    return page, 503


def front_door() -> Response:
    """Send a visitor of "/" to their home page, or to the login page."""
    user = current_staff()
    return redirect(home_url(user) if user is not None else url_for("staff.login"))
