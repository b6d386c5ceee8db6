"""Every staff route, for anonymous visitors and every role: the answer each must get."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from helpers import csrf_token

from centre import running
from centre.calendar import Holiday
from centre.extensions import db
from centre.languages import CODES
from knowledge import services as guide_services
from tickets import services

ROLES = ("anonymous", "agent", "supervisor", "editor", "admin")
LOGIN = "login"  # a redirect to the login page

# (method, endpoint) -> expected answer for anonymous, agent, supervisor, editor, admin.
# The desk's POSTs carry data a person would send; their answers show the view ran.
TABLE: dict[tuple[str, str], tuple[object, ...]] = {
    ("GET", "front_door"): (LOGIN, 302, 302, 302, 302),
    ("GET", "staff.login"): (200, 302, 302, 302, 302),
    ("POST", "staff.login"): (401, 401, 401, 401, 401),
    ("GET", "staff.account"): (LOGIN, 200, 200, 200, 200),
    ("POST", "staff.account"): (LOGIN, 302, 302, 302, 302),
    ("GET", "staff.users"): (LOGIN, 403, 403, 403, 200),
    ("GET", "staff.new_user"): (LOGIN, 403, 403, 403, 200),
    ("POST", "staff.new_user"): (LOGIN, 403, 403, 403, 200),
    ("GET", "staff.edit_user"): (LOGIN, 403, 403, 403, 200),
    ("POST", "staff.edit_user"): (LOGIN, 403, 403, 403, 302),
    ("GET", "staff.audit_log"): (LOGIN, 403, 200, 403, 200),
    ("GET", "tickets.queue"): (LOGIN, 200, 200, 403, 200),
    ("GET", "tickets.ticket_page"): (LOGIN, 200, 200, 403, 200),
    ("POST", "tickets.save"): (LOGIN, 302, 302, 403, 302),
    ("POST", "tickets.assign"): (LOGIN, 302, 302, 403, 302),
    ("POST", "tickets.merge"): (LOGIN, 422, 422, 403, 422),
    ("POST", "tickets.call_back"): (LOGIN, 422, 422, 403, 422),
    ("POST", "tickets.outcome"): (LOGIN, 422, 422, 403, 422),
    ("GET", "tickets.recording"): (LOGIN, 404, 404, 403, 404),
    ("POST", "tickets.availability"): (LOGIN, 302, 302, 403, 302),
    ("POST", "tickets.take_call"): (LOGIN, 302, 302, 403, 302),
    ("GET", "tickets.waiting"): (LOGIN, 200, 200, 403, 200),
    # The editors' workspace: editors and admins change the guide, supervisors read it.
    # Its POSTs get data without the workspace's fields: nothing changes, the view answers.
    ("GET", "guide_editor.index"): (LOGIN, 403, 200, 200, 200),
    ("POST", "guide_editor.new_service"): (LOGIN, 403, 403, 302, 302),
    ("GET", "guide_editor.edit_text"): (LOGIN, 403, 200, 200, 200),
    ("POST", "guide_editor.edit_text"): (LOGIN, 403, 403, 302, 302),
    ("POST", "guide_editor.publish_text"): (LOGIN, 403, 403, 302, 302),
    ("POST", "guide_editor.review_text"): (LOGIN, 403, 403, 302, 302),
    ("POST", "guide_editor.restore_text"): (LOGIN, 403, 403, 302, 302),
    ("GET", "guide_editor.compare_text"): (LOGIN, 403, 200, 200, 200),
    ("GET", "guide_editor.edit_facts"): (LOGIN, 403, 200, 200, 200),
    ("POST", "guide_editor.edit_facts"): (LOGIN, 403, 403, 302, 302),
    ("POST", "guide_editor.publish_facts"): (LOGIN, 403, 403, 302, 302),
    ("POST", "guide_editor.restore_facts"): (LOGIN, 403, 403, 302, 302),
    ("GET", "guide_editor.compare_facts"): (LOGIN, 403, 404, 404, 404),  # no facts version yet
    ("GET", "guide_editor.unmatched"): (LOGIN, 403, 200, 200, 200),
    ("POST", "guide_editor.add_synonym"): (LOGIN, 403, 403, 302, 302),
    ("POST", "guide_editor.dismiss_phrase"): (LOGIN, 403, 403, 302, 302),
    ("GET", "guide_editor.search_page"): (LOGIN, 403, 200, 200, 200),
    ("GET", "guide_editor.transfer_page"): (LOGIN, 403, 200, 200, 200),
    ("GET", "guide_editor.export"): (LOGIN, 403, 200, 200, 200),
    ("POST", "guide_editor.import_file"): (LOGIN, 403, 403, 422, 422),
    ("GET", "reports.dashboard"): (LOGIN, 403, 200, 403, 200),
    ("GET", "reports.table_csv"): (LOGIN, 403, 200, 403, 200),
    ("GET", "centre_admin.hours"): (LOGIN, 403, 200, 403, 200),
    ("POST", "centre_admin.hours"): (LOGIN, 403, 422, 403, 422),  # no hours given
    ("GET", "centre_admin.holidays"): (LOGIN, 403, 200, 403, 200),
    ("POST", "centre_admin.confirm_holiday"): (LOGIN, 403, 302, 403, 302),
    ("GET", "centre_admin.closures"): (LOGIN, 403, 200, 403, 200),
    ("POST", "centre_admin.closures"): (LOGIN, 403, 422, 403, 422),  # no dates given
    ("POST", "centre_admin.remove_closure"): (LOGIN, 403, 302, 403, 302),
    ("GET", "centre_admin.notices_page"): (LOGIN, 403, 200, 403, 200),
    ("POST", "centre_admin.notices_page"): (LOGIN, 403, 422, 403, 422),  # no texts given
    ("POST", "centre_admin.remove_notice"): (LOGIN, 403, 302, 403, 302),
    ("GET", "centre_admin.preview"): (LOGIN, 403, 200, 403, 200),
    ("POST", "staff.logout"): (302, 302, 302, 302, 302),  # last: it ends the session
}
PUBLIC_BLUEPRINTS = (
    "centre",
    "ivr",
    "simulator",
    "desk_voice",
    "guide",
    "cases",
)  # guide: the public read-only API; cases: the back office's push API (bearer tokens)


def staff_routes(app) -> set[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """Return every (method, endpoint) of the staff pages the app serves."""
    routes = set()
    for rule in app.url_map.iter_rules():
        blueprint = rule.endpoint.partition(".")[0]
        if rule.endpoint == "static" or rule.endpoint.endswith(".static"):
            continue
        if blueprint in PUBLIC_BLUEPRINTS:
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routes.add((method, rule.endpoint))
    return routes


def test_the_table_names_every_staff_route(app):
    assert staff_routes(app) == set(TABLE), "add the new route to TABLE with its expected answers"


def _path(app, endpoint: str, ids: dict[str, int]) -> str:  # type: ignore[no-untyped-def]
    from flask import url_for

    with app.test_request_context():
        arguments = {
            "staff.edit_user": {"user_id": ids["user"]},
            "tickets.recording": {"ticket_id": ids["ticket"], "recording_id": ids["recording"]},
            "guide_editor.add_synonym": {"phrase_id": ids["phrase"]},
            "guide_editor.dismiss_phrase": {"phrase_id": ids["phrase"]},
            "reports.table_csv": {"key": "queue"},
            "centre_admin.confirm_holiday": {"holiday_id": ids["holiday"]},
            "centre_admin.remove_closure": {"closure_id": ids["closure"]},
            "centre_admin.remove_notice": {"notice_id": ids["notice"]},
        }.get(endpoint, {"ticket_id": ids["ticket"]} if endpoint.startswith("tickets.") else {})
        if endpoint.startswith("guide_editor.") and "phrase_id" not in arguments:
            rule = next(app.url_map.iter_rules(endpoint))
            arguments = {k: v for k, v in {"slug": "passport", "code": "fr"}.items()
                         if k in rule.arguments}  # fmt: skip
        if endpoint in ("tickets.queue", "tickets.availability", "tickets.take_call",
                        "tickets.waiting"):  # fmt: skip
            arguments = {}
        return url_for(endpoint, **arguments)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_the_expected_answer_on_every_staff_route(
    app, log_in, make_user, guide, role
):
    with app.app_context():
        ticket = services.open_ticket("complaint", "fr", "+33612345678", "k", country="FR")
        db.session.flush()
        services.attach_recording(ticket.id, "RE1", "https://api.twilio.com/x/RE1", 5)
        moment = datetime(2030, 1, 1, 10, tzinfo=UTC)
        closure = running.add_closure(moment, moment + timedelta(hours=1), actor_email="test")
        notice = running.add_notice(moment, moment + timedelta(hours=1),
                                    dict.fromkeys(CODES, "x"), [], [], actor_email="test")  # fmt: skip
        holiday = db.session.scalars(sa.select(Holiday).where(Holiday.islamic)).first()
        phrase = guide_services.log_unmatched("la météo de demain", "fr")
        db.session.commit()
        ids = {"ticket": ticket.id, "recording": ticket.recordings[0].id, "holiday": holiday.id,
               "phrase": phrase.id,
               "closure": closure.id, "notice": notice.id}  # fmt: skip
    other = make_user("agent", "fr")
    ids["user"] = other.id
    client = app.test_client() if role == "anonymous" else log_in(role, "fr")
    column = ROLES.index(role)
    wrong = []
    for (method, endpoint), answers in TABLE.items():
        expected = answers[column]
        path = _path(app, endpoint, ids)
        if method == "GET":
            response = client.get(path)
        else:
            with app.app_context():
                from tickets.models import Ticket

                version = db.session.get(Ticket, ids["ticket"]).version
            data = {"csrf_token": csrf_token(client), "version": str(version), "note": "n",
                    "status": "open", "to": "me", "email": "x@example.org", "password": "x",
                    "action": "account", "role": "agent", "languages": "fr", "active": "on",
                    "available": "0", "outcome": "reached"}  # fmt: skip
            response = client.post(path, data=data)
        got: object = response.status_code
        if got == 302 and "/staff/login" in response.headers["Location"] and expected == LOGIN:
            got = LOGIN
        if got != expected:
            wrong.append((method, endpoint, expected, got))
    assert not wrong, f"{role}: {wrong}"
