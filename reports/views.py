"""The dashboard page and the CSV of each of its tables. Thin: read the period, compute, show."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request

from centre.clock import CENTRE_TZ, now
from centre.extensions import db
from reports import figures, tables
from staff import role_required

bp = Blueprint("reports", __name__, url_prefix="/reports", template_folder="templates",
               static_folder="static", static_url_path="/static")  # fmt: skip
REPORT_ROLES = ("supervisor", "admin")


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
    shown = tables.build(figures.compute(period, store=True))
    db.session.commit()  # the days summarised on the way
    page = render_template("reports/dashboard.html", period=period, tables=shown, error=error,
                           cell=tables.cell)  # fmt: skip
    return page, 400 if error else 200


@bp.get("/<key>.csv")
@role_required(*REPORT_ROLES)
def table_csv(key: str) -> Response:
    """Return one table of the dashboard as CSV, exactly as the page shows it."""
    period, error = _period()
    if error:
        return Response(error + "\n", status=400, mimetype="text/plain")
    found = [t for t in tables.build(figures.compute(period, store=True)) if t.key == key]
    db.session.commit()
    if not found:
        abort(404)
    name = f"{key}-{period.first.isoformat()}-{period.last.isoformat()}.csv"
    return Response(found[0].csv(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip
