"""The dashboard page and the CSV of each of its tables. Thin: read the period, compute, show."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext
from werkzeug.wrappers import Response as WerkzeugResponse

from centre.clock import CENTRE_TZ, now
from centre.extensions import db
from centre.messaging import OutboundMessage
from centre.transactions import keep_when_refused
from reports import exports, figures, floor, messages, tables, wallboard
from staff import role_required

bp = Blueprint(
    "reports",
    __name__,
    url_prefix="/reports",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)
REPORT_ROLES = ("supervisor", "admin")
FLOOR_REFRESH_SECONDS = 5


def _period() -> tuple[figures.Period, str | None]:
    """Return the period asked for, or the default one with the reason it was refused."""
    today = now().astimezone(CENTRE_TZ).date()
    try:
        return figures.Period.parse(request.args.get("from"), request.args.get("to"), today), None
    except figures.PeriodRefused as refused:
        return figures.Period.parse(None, None, today), refused.message


@bp.get("/")
@role_required(*REPORT_ROLES)
def dashboard() -> tuple[str, int]:
    """Show every figure for the period, each as a chart, a table and a CSV link."""
    period, error = _period()
    computed = figures.compute(period, store=True)
    shown = tables.build(computed)
    keep_when_refused()  # the days summarised on the way are kept, whatever the answer
    top = tables.headline(computed, current_app.config["QUEUE_WAIT_TARGET_SECONDS"])
    page = render_template(
        "reports/dashboard.html",
        period=period,
        tables=shown,
        error=error,
        cell=tables.cell,
        headline=top,
        words=wallboard.words_class,
    )
    return page, 400 if error else 200


@bp.get("/<key>.csv")
@role_required(*REPORT_ROLES)
def table_csv(key: str) -> Response:
    """Return one table of the dashboard as CSV, exactly as the page shows it."""
    period, error = _period()
    if error:
        return Response(error + "\n", status=400, mimetype="text/plain")
    found = [t for t in tables.build(figures.compute(period, store=True)) if t.key == key]
    keep_when_refused()  # the days summarised on the way are kept, whatever the answer
    if not found:
        abort(404)
    name = f"{key}-{period.first.isoformat()}-{period.last.isoformat()}.csv"
    return Response(
        found[0].csv(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _list_csv(kind: str, rows) -> Response:
    """Return the period's list of `kind` (calls, tickets) as a streamed CSV download."""
    period, error = _period()
    if error:
        return Response(error + "\n", status=400, mimetype="text/plain")
    name = f"{kind}-{period.first.isoformat()}-{period.last.isoformat()}.csv"
    # Built whole (a year of calls is a few tens of megabytes): a stream would hold the
    # request open past its view, with the database session and the reader's language.
    return Response(
        "".join(rows(period)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.get("/lists/calls.csv")
@role_required(*REPORT_ROLES)
def calls_csv() -> Response:
    """Return every call started in the period, one line each, as CSV."""
    return _list_csv("calls", exports.calls)


@bp.get("/lists/tickets.csv")
@role_required(*REPORT_ROLES)
def tickets_csv() -> Response:
    """Return every ticket opened in the period, one line each, as CSV."""
    return _list_csv("tickets", exports.tickets)


@bp.get("/floor")
@role_required(*REPORT_ROLES)
def floor_page() -> str:
    """Show the live floor: queues, agents, stages, alerts; the page refreshes its own figures."""
    shown = floor.snapshot(now())
    return render_template(
        "reports/floor.html",
        floor=shown,
        cells=wallboard.cells(shown),
        board=wallboard,
        interval=FLOOR_REFRESH_SECONDS,
        words=wallboard.words_class,
    )


@bp.get("/floor.json")
@role_required(*REPORT_ROLES)
def floor_json() -> Response:
    """Return the live floor's figures as the texts the wallboard writes over its own."""
    response = jsonify(wallboard.as_json(floor.snapshot(now())))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/messages/")
@role_required(*REPORT_ROLES)
def messages_page() -> str:
    """List the texts and calls of the last days that did not arrive, each with a resend button."""
    return render_template(
        "reports/messages.html", rows=messages.not_delivered(), days=messages.SHOWN_DAYS
    )


@bp.post("/messages/<int:message_id>/resend")
@role_required(*REPORT_ROLES)
def resend_message(message_id: int) -> WerkzeugResponse:
    """Queue a message that did not arrive again, as a new message."""
    message = db.session.get(OutboundMessage, message_id)
    if message is None:
        abort(404)
    try:
        messages.resend(message)
    except ValueError:
        flash(gettext("This message was already resent or cannot be resent."))
    else:
        db.session.commit()
        flash(gettext("The message is queued again."))
    return redirect(url_for("reports.messages_page"))
