"""Every staff route, for anonymous visitors and every role: the answer each must get, what it
leaves in the audit log, the headers it carries, and the CSRF check no staff form escapes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from conftest import TOKEN, TWILIO_SID, https_client
from flask import Flask, url_for
from helpers import csrf_token, inline_code, log_in, table_contents

from centre.calendar import Holiday
from centre.extensions import db
from centre.languages import CODES
from centre.messaging import OutboundMessage
from ivr.driver import sign
from knowledge import services as guide_services
from knowledge.models import Category
from operations import running
from staff.audit import ACTION_NAMES
from staff.models import AuditEntry
from tickets import replies, services
from tickets.models import Ticket

ROLES = ("anonymous", "agent", "supervisor", "editor", "admin")
LOGIN = "login"  # a redirect to the login page

# (method, endpoint) -> expected answer for anonymous, agent, supervisor, editor, admin.
# The POSTs carry the form a person would send (see `form`): a role let in makes its change.
TABLE: dict[tuple[str, str], tuple[object, ...]] = {
    ("GET", "front_door"): (LOGIN, 302, 302, 302, 302),
    ("GET", "staff.login"): (200, 302, 302, 302, 302),
    ("POST", "staff.login"): (401, 401, 401, 401, 401),  # a wrong password
    ("GET", "staff.account"): (LOGIN, 200, 200, 200, 200),
    ("POST", "staff.account"): (LOGIN, 302, 302, 302, 302),
    ("GET", "staff.users"): (LOGIN, 403, 403, 403, 200),
    ("GET", "staff.new_user"): (LOGIN, 403, 403, 403, 200),
    ("POST", "staff.new_user"): (LOGIN, 403, 403, 403, 302),
    ("GET", "staff.edit_user"): (LOGIN, 403, 403, 403, 200),
    ("POST", "staff.edit_user"): (LOGIN, 403, 403, 403, 302),
    ("GET", "staff.audit_log"): (LOGIN, 403, 200, 403, 200),
    ("GET", "tickets.queue"): (LOGIN, 200, 200, 403, 200),
    ("GET", "tickets.ticket_page"): (LOGIN, 200, 200, 403, 200),
    ("POST", "tickets.save"): (LOGIN, 302, 302, 403, 302),
    ("POST", "tickets.assign"): (LOGIN, 302, 302, 403, 302),
    ("POST", "tickets.merge"): (LOGIN, 302, 302, 403, 302),
    ("POST", "tickets.call_back"): (LOGIN, 422, 422, 403, 422),  # not a callback, no phone
    ("POST", "tickets.outcome"): (LOGIN, 422, 422, 403, 422),  # no callback was made
    ("POST", "tickets.reply"): (LOGIN, 302, 302, 403, 302),  # an SMS to the caller
    ("GET", "tickets.recording"): (LOGIN, 200, 200, 403, 200),  # streamed from (mock) Twilio
    ("POST", "tickets.availability"): (LOGIN, 302, 302, 403, 302),
    ("POST", "tickets.take_call"): (LOGIN, 302, 302, 403, 302),
    ("GET", "tickets.waiting"): (LOGIN, 200, 200, 403, 200),
    # The editors' workspace: editors and admins change the guide, supervisors read it.
    ("GET", "guide_editor.index"): (LOGIN, 403, 200, 200, 200),
    ("POST", "guide_editor.new_service"): (LOGIN, 403, 403, 302, 302),
    ("GET", "guide_editor.edit_text"): (LOGIN, 403, 200, 200, 200),
    ("POST", "guide_editor.edit_text"): (LOGIN, 403, 403, 302, 302),
    ("POST", "guide_editor.publish_text"): (LOGIN, 403, 403, 302, 302),
    ("POST", "guide_editor.review_text"): (LOGIN, 403, 403, 302, 302),  # nothing stale: refused
    ("POST", "guide_editor.restore_text"): (LOGIN, 403, 403, 302, 302),
    ("GET", "guide_editor.compare_text"): (LOGIN, 403, 200, 200, 200),
    ("GET", "guide_editor.edit_facts"): (LOGIN, 403, 200, 200, 200),
    ("POST", "guide_editor.edit_facts"): (LOGIN, 403, 403, 302, 302),
    ("POST", "guide_editor.publish_facts"): (LOGIN, 403, 403, 302, 302),
    ("POST", "guide_editor.restore_facts"): (LOGIN, 403, 403, 302, 302),
    ("GET", "guide_editor.compare_facts"): (LOGIN, 403, 404, 404, 404),  # no facts version yet
    ("GET", "guide_editor.unmatched"): (LOGIN, 403, 200, 200, 200),
    ("GET", "guide_editor.add_synonym"): (LOGIN, 403, 403, 302, 302),  # no service: back to list
    ("POST", "guide_editor.add_synonym"): (LOGIN, 403, 403, 302, 302),
    ("GET", "guide_editor.add_example"): (LOGIN, 403, 403, 302, 302),  # no service: back to list
    ("POST", "guide_editor.add_example"): (LOGIN, 403, 403, 302, 302),
    ("POST", "guide_editor.dismiss_phrase"): (LOGIN, 403, 403, 302, 302),
    ("GET", "guide_editor.search_page"): (LOGIN, 403, 200, 200, 200),
    ("GET", "guide_editor.transfer_page"): (LOGIN, 403, 200, 200, 200),
    ("GET", "guide_editor.export"): (LOGIN, 403, 200, 200, 200),
    ("POST", "guide_editor.import_file"): (LOGIN, 403, 403, 422, 422),  # no file
    # Supervisors' dashboard and the running of the centre: supervisors and admins.
    ("GET", "reports.dashboard"): (LOGIN, 403, 200, 403, 200),
    ("GET", "reports.table_csv"): (LOGIN, 403, 200, 403, 200),
    ("GET", "reports.calls_csv"): (LOGIN, 403, 200, 403, 200),
    ("GET", "reports.tickets_csv"): (LOGIN, 403, 200, 403, 200),
    ("GET", "reports.floor_page"): (LOGIN, 403, 200, 403, 200),
    ("GET", "reports.floor_json"): (LOGIN, 403, 200, 403, 200),
    ("GET", "reports.messages_page"): (LOGIN, 403, 200, 403, 200),
    ("POST", "reports.resend_message"): (LOGIN, 403, 302, 403, 302),
    ("POST", "centre_admin.add_holiday"): (LOGIN, 403, 302, 403, 302),
    ("GET", "centre_admin.confirm_remove_closure"): (LOGIN, 403, 200, 403, 200),
    ("GET", "centre_admin.confirm_remove_notice"): (LOGIN, 403, 200, 403, 200),
    ("GET", "centre_admin.edit_notice"): (LOGIN, 403, 200, 403, 200),
    ("POST", "centre_admin.edit_notice"): (LOGIN, 403, 302, 403, 302),
    ("GET", "centre_admin.hours"): (LOGIN, 403, 200, 403, 200),
    ("POST", "centre_admin.hours"): (LOGIN, 403, 302, 403, 302),
    ("GET", "centre_admin.holidays"): (LOGIN, 403, 200, 403, 200),
    ("POST", "centre_admin.confirm_holiday"): (LOGIN, 403, 302, 403, 302),
    ("GET", "centre_admin.closures"): (LOGIN, 403, 200, 403, 200),
    ("POST", "centre_admin.closures"): (LOGIN, 403, 302, 403, 302),
    ("POST", "centre_admin.remove_closure"): (LOGIN, 403, 302, 403, 302),
    ("GET", "centre_admin.notices_page"): (LOGIN, 403, 200, 403, 200),
    ("POST", "centre_admin.notices_page"): (LOGIN, 403, 302, 403, 302),
    ("POST", "centre_admin.remove_notice"): (LOGIN, 403, 302, 403, 302),
    ("GET", "centre_admin.preview"): (LOGIN, 403, 200, 403, 200),
    ("GET", "reply_templates.index"): (LOGIN, 403, 200, 403, 200),
    ("POST", "reply_templates.index"): (LOGIN, 403, 302, 403, 302),
    ("GET", "reply_templates.edit"): (LOGIN, 403, 200, 403, 200),
    ("POST", "reply_templates.edit"): (LOGIN, 403, 302, 403, 302),
    ("GET", "reply_templates.confirm_remove"): (LOGIN, 403, 200, 403, 200),
    ("POST", "reply_templates.remove"): (LOGIN, 403, 302, 403, 302),
    ("POST", "staff.logout"): (302, 302, 302, 302, 302),  # last: it ends the session
}
OPEN_TO_ALL = {"front_door", "staff.login", "staff.logout"}  # the only views without a role check
# Machines' routes: Twilio's webhooks (signed) and the back office's push API (bearer tokens).
WEBHOOK_BLUEPRINTS = ("ivr", "desk_voice", "outbox_status", "inbound_sms")
MACHINE_BLUEPRINTS = (*WEBHOOK_BLUEPRINTS, "cases")
PUBLIC_BLUEPRINTS = (*MACHINE_BLUEPRINTS, "centre", "simulator", "guide")  # guide: read-only API
# Rows the app keeps for itself, not changes a person made: the log itself, sessions, throttle
# counters, and the dashboard's day summaries (recomputed from the calls, kept as they are read).
BOOKKEEPING = {"audit_entries", "staff_sessions", "rate_counters", "report_days", "report_marks"}


def staff_routes(app: Flask) -> set[tuple[str, str]]:
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
    blueprints = {endpoint.partition(".")[0] for _, endpoint in TABLE}
    assert {"staff", "tickets", "guide_editor", "reports", "centre_admin"} <= blueprints


def test_every_staff_view_checks_the_role_and_the_table_agrees_with_it(app):
    for method, endpoint in TABLE:
        view = app.view_functions[endpoint]
        if endpoint in OPEN_TO_ALL:
            assert not hasattr(view, "roles"), endpoint
            continue
        assert hasattr(view, "roles"), f"{endpoint} has no role_required"
        answers = dict(zip(ROLES, TABLE[(method, endpoint)], strict=True))
        assert answers["anonymous"] == LOGIN, endpoint
        for role in ROLES[1:]:
            if role not in view.roles:
                assert answers[role] == 403, (method, endpoint, role)
            else:
                assert answers[role] not in (LOGIN, 401), (method, endpoint, role)


# --- the data the routes act on -------------------------------------------------------------


RE1, RE2 = "RE" + "1" * 32, "RE" + "2" * 32  # recording SIDs as Twilio makes them


def recording_url(sid: str) -> str:
    """Return the URL Twilio gives for a recording of the centre's account."""
    return f"https://api.twilio.com/2010-04-01/Accounts/{TWILIO_SID}/Recordings/{sid}"


@pytest.fixture
def route_ids(app, make_user, guide) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Open a French ticket with a recording, a duplicate, a closure, a notice, a phrase, a user."""
    with app.app_context():
        ticket = services.open_ticket("complaint", "fr", "+33612345678", "k", country="FR")
        duplicate = services.open_ticket("complaint", "fr", "+33612345679", "k", country="FR")
        db.session.flush()
        services.attach_recording(ticket.id, RE1, recording_url(RE1), 5)
        moment = datetime(2030, 1, 1, 10, tzinfo=UTC)
        closure = running.add_closure(moment, moment + timedelta(hours=1), actor_email="test")
        notice = running.add_notice(
            moment,
            moment + timedelta(hours=1),
            dict.fromkeys(CODES, "x"),
            [],
            [],
            actor_email="test",
        )
        holiday = db.session.scalars(sa.select(Holiday).where(Holiday.islamic)).first()
        phrase_id = guide_services.log_unmatched("la météo de demain", "fr")
        category = db.session.scalars(sa.select(Category.slug)).first()
        undelivered = OutboundMessage(
            channel="sms",
            purpose="callback_booked",
            language="fr",
            to_number="+33612345678",
            body="x",
            status="undelivered",
            error_code="30003",
            attempts=1,
            created_at=datetime.now(UTC).replace(tzinfo=None),
        )
        db.session.add(undelivered)
        template = replies.keep(None, "fr", "Reçu", "Nous avons bien reçu {reference}.")
        db.session.commit()
        ids = {
            "ticket": ticket.id,
            "recording": ticket.recordings[0].id,
            "holiday": holiday.id,
            "holiday_day": holiday.day.isoformat(),
            "phrase": phrase_id,
            "duplicate": duplicate.reference,
            "closure": closure.id,
            "notice": notice.id,
            "category": category,
            "message": undelivered.id,
            "template": template.id,
        }
    ids["user"] = make_user("agent", "fr").id
    return ids


def path_of(app: Flask, endpoint: str, ids: dict[str, Any]) -> str:
    """Return the URL of `endpoint` on the data of `route_ids`."""
    rule = next(app.url_map.iter_rules(endpoint))
    known = {
        "ticket_id": ids["ticket"],
        "recording_id": ids["recording"],
        "user_id": ids["user"],
        "phrase_id": ids["phrase"],
        "holiday_id": ids["holiday"],
        "closure_id": ids["closure"],
        "notice_id": ids["notice"],
        "key": "queue",
        "message_id": ids["message"],
        "template_id": ids["template"],
        "slug": "passport",
        "code": "fr",
    }
    query = {"q": "passeport", "lang": "fr"} if endpoint == "guide.search_guide" else {}
    with app.test_request_context():
        return url_for(endpoint, **{name: known[name] for name in rule.arguments}, **query)


def form(app: Flask, endpoint: str, role: str, ids: dict[str, Any]) -> dict[str, str]:
    """Return what a person sends to `endpoint`: a real change wherever the route makes one."""
    with app.app_context():
        version = str(db.session.get(Ticket, ids["ticket"]).version)
    later = "2031-03-02T10:00"
    texts = {f"text_{code}": f"Notice ({code})" for code in CODES}
    hours = {
        f"{edge}_{day}": time
        for day in range(5)
        for edge, time in (("opens", "09:00"), ("closes", "16:30"))
    }
    return {
        "staff.login": {"email": "someone@example.org", "password": "not-the-password-at-all"},
        "staff.account": {"action": "preferences", "locale": "en", "phone": ""},
        "staff.new_user": {
            "email": f"new-{role}@example.org",
            "password": "Quince-Orchard-Lamp-42",
            "role": "agent",
            "languages": "es",
        },
        "staff.edit_user": {
            "action": "account",
            "role": "supervisor",
            "languages": "fr",
            "active": "on",
        },
        "tickets.save": {"version": version, "note": "Called the consulate.", "status": "open"},
        "tickets.assign": {"version": version, "to": "me"},
        "tickets.merge": {"version": version, "references": ids["duplicate"]},
        "tickets.call_back": {"version": version},
        "tickets.outcome": {"version": version, "outcome": "reached"},
        "tickets.reply": {"version": version, "text": "Bonjour, nous avons votre message."},
        "reply_templates.index": {
            "language": "es",
            "title": f"Recibido ({role})",
            "body": "Recibido.",
        },
        "reply_templates.edit": {
            "language": "fr",
            "title": f"Reçu ({role})",
            "body": "Reçu {reference}.",
        },
        "tickets.availability": {"available": "0"},
        "guide_editor.new_service": {"slug": f"new-service-{role}", "category": ids["category"]},
        "guide_editor.edit_text": {"summary": f"A summary rewritten by the {role}."},
        "guide_editor.add_synonym": {"service": "passport", "confirmed": "1"},
        "guide_editor.add_example": {"service": "passport", "confirmed": "1"},
        "centre_admin.hours": {**hours, "closed_5": "on", "closed_6": "on"},
        "centre_admin.confirm_holiday": {"day": ids["holiday_day"]},
        "centre_admin.closures": {"starts": later, "ends": "2031-03-02T12:00", "reason": "Works"},
        "centre_admin.notices_page": {"starts": later, "ends": "2031-03-03T10:00", **texts},
        "centre_admin.edit_notice": {
            "starts": "2030-01-01T11:00",
            "ends": f"2030-01-0{2 + ROLES.index(role)}T10:00",
            "topic": "queue:",
            **texts,
        },
        "centre_admin.add_holiday": {
            "day": f"2031-04-0{1 + ROLES.index(role)}",
            "name": f"Decreed ({role})",
        },
    }.get(endpoint, {})


def new_entries(app: Flask, after_id: int) -> list[tuple[str, int | None]]:
    """Return the entries logged after entry `after_id`: (action, who did it)."""
    with app.app_context():
        query = sa.select(AuditEntry.action, AuditEntry.actor_id).where(AuditEntry.id > after_id)
        return [
            (action, actor) for action, actor in db.session.execute(query.order_by(AuditEntry.id))
        ]


def last_entry(app: Flask) -> int:
    """Return the id of the newest audit entry (0 if none)."""
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.max(AuditEntry.id))) or 0


def changed_tables(before: dict[str, Any], after: dict[str, Any]) -> set[str]:
    """Return the tables whose rows differ, bookkeeping left out."""
    return {name for name in before if before[name] != after[name]} - BOOKKEEPING


def mock_recordings(twilio_api) -> None:  # type: ignore[no-untyped-def]
    """Let (mock) Twilio serve the first recording's audio."""
    twilio_api.get(recording_url(RE1) + ".mp3", body=b"ID3-audio", content_type="audio/mpeg")


# --- the table ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_the_expected_answer_and_every_change_and_refusal_is_audited(
    app, log_in, route_ids, twilio_api, role
):
    mock_recordings(twilio_api)
    client = app.test_client() if role == "anonymous" else log_in(role, "fr")
    column = ROLES.index(role)
    me = None if role == "anonymous" else client.member.id
    wrong, unaudited, rewritten, anonymous, unnamed = [], [], [], [], []
    for (method, endpoint), answers in TABLE.items():
        path = path_of(app, endpoint, route_ids)
        data = {}
        if method == "POST":
            data = {"csrf_token": csrf_token(client), **form(app, endpoint, role, route_ids)}
        before, newest = table_contents(app), last_entry(app)
        response = client.open(path, method=method, data=data)
        after, logged = table_contents(app), new_entries(app, newest)
        got: object = response.status_code
        if got == 302 and "/staff/login" in response.headers["Location"]:
            got = LOGIN if answers[column] == LOGIN else got
        if got != answers[column]:
            wrong.append((method, endpoint, answers[column], got))
        if got == 403 and ("access.refused", me) not in logged:
            unaudited.append((method, endpoint, "refusal not logged"))
        if changed_tables(before, after) and not logged:
            unaudited.append((method, endpoint, sorted(changed_tables(before, after))))
        if any(actor != me for action, actor in logged if action != "login.failed"):
            anonymous.append((method, endpoint, logged))
        unnamed += [action for action, _ in logged if action not in ACTION_NAMES]
        old = before["audit_entries"]
        if {key: after["audit_entries"].get(key) for key in old} != old:
            rewritten.append((method, endpoint))
    assert not wrong, f"{role}: (method, endpoint, expected, got) {wrong}"
    assert not unaudited, f"{role}: changed or refused without an audit entry: {unaudited}"
    assert not rewritten, f"{role}: audit entries changed or deleted by {rewritten}"
    assert not anonymous, f"{role}: entries that do not name who did it: {anonymous}"
    assert not unnamed, f"{role}: actions the audit log cannot name for staff: {unnamed}"


# --- tickets outside the agent's languages --------------------------------------------------


def test_an_agent_cannot_reach_a_ticket_outside_their_languages_by_guessing_its_ids(
    app, log_in, route_ids, twilio_api
):
    mock_recordings(twilio_api)
    twilio_api.get(recording_url(RE2) + ".mp3", body=b"ID3-spanish", content_type="audio/mpeg")
    with app.app_context():
        spanish = services.open_ticket("complaint", "es", "+34612345678", "k", country="ES")
        db.session.flush()
        services.attach_recording(spanish.id, RE2, recording_url(RE2), 5)
        db.session.commit()
        guessed = {
            "ticket": spanish.id,
            "recording": spanish.recordings[0].id,
            "reference": spanish.reference,
        }
    agent = log_in("agent", "fr")
    ids = {**route_ids, **guessed}
    routes = [
        (method, rule.endpoint)
        for rule in app.url_map.iter_rules()
        if "ticket_id" in rule.arguments
        for method in rule.methods - {"HEAD", "OPTIONS"}
    ]
    assert len(routes) == 8
    # Its own French ticket's URL with the Spanish recording's id, and the Spanish one merged in.
    french = {"ticket": route_ids["ticket"], "recording": guessed["recording"]}
    attempts = [
        (method, path_of(app, endpoint, ids), form(app, endpoint, "agent", ids))
        for method, endpoint in routes
    ]
    attempts.append(("GET", path_of(app, "tickets.recording", {**route_ids, **french}), {}))
    merge = form(app, "tickets.merge", "agent", route_ids)
    attempts.append(
        (
            "POST",
            path_of(app, "tickets.merge", route_ids),
            {**merge, "references": guessed["reference"]},
        )
    )
    answers = []
    for method, path, data in attempts:
        if method == "POST":
            data = {"csrf_token": csrf_token(agent, "/tickets/"), **data}
        before = table_contents(app)
        answers.append(agent.open(path, method=method, data=data).status_code)
        assert not changed_tables(before, table_contents(app)), path
    assert answers == [404] * (len(routes) + 1) + [422]
    assert not twilio_api.calls, "a recording was fetched for someone not allowed to hear it"
    with app.app_context():
        refused = db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "access.refused")
        ).all()
        assert [(e.target_type, e.target_id, e.actor_id) for e in refused] == [
            ("ticket", spanish.id, agent.member.id)
        ] * 8


# --- headers and inline code on every page ---------------------------------------------------


def policy(header: str) -> dict[str, list[str]]:
    """Return a Content-Security-Policy's directives and their sources."""
    parts = [directive.split() for directive in header.split(";") if directive.strip()]
    return {words[0]: words[1:] for words in parts}


def header_problems(response, logged_in: bool) -> list[str]:  # type: ignore[no-untyped-def]
    """Return what is missing from a production response's security headers and page."""
    headers, problems = response.headers, []
    if headers.get("X-Content-Type-Options") != "nosniff":
        problems.append("nosniff")
    if headers.get("Referrer-Policy") not in (
        "no-referrer",
        "same-origin",
        "strict-origin",
        "strict-origin-when-cross-origin",
    ):
        problems.append("referrer policy")
    hsts = headers.get("Strict-Transport-Security", "")
    if not hsts.startswith("max-age=") or int(hsts[8:].split(";")[0]) < 31536000:
        problems.append("HSTS")
    for cookie in headers.getlist("Set-Cookie"):
        if not all(flag in cookie for flag in ("; Secure", "; HttpOnly", "; SameSite=Lax")):
            problems.append(f"cookie flags: {cookie[-60:]}")
    if (logged_in or response.mimetype == "text/html") and "no-store" not in headers.get(
        "Cache-Control", ""
    ):
        problems.append("no-store")
    if response.mimetype != "text/html":
        return problems
    rules = policy(headers.get("Content-Security-Policy", ""))
    script = rules.get("script-src", rules.get("default-src", ["*"]))
    if set(script) & {"'unsafe-inline'", "'unsafe-eval'", "*", "data:", "http:", "https:"}:
        problems.append(f"script-src {script}")
    if "'unsafe-inline'" in rules.get("style-src", rules.get("default-src", [])):
        problems.append("style-src 'unsafe-inline'")
    if rules.get("frame-ancestors") != ["'none'"] or rules.get("object-src") != ["'none'"]:
        problems.append("frame-ancestors or object-src")
    page = response.get_data(as_text=True)
    problems.extend(inline_code(page))
    if "api.twilio.com" in page:
        problems.append("Twilio's recording URL on the page")
    return problems


def get_endpoints(app: Flask) -> list[str]:
    """Return every endpoint answering GET, static files aside."""
    return sorted(
        {
            rule.endpoint
            for rule in app.url_map.iter_rules()
            if "GET" in rule.methods and not rule.endpoint.endswith("static")
        }
    )


@pytest.mark.parametrize("role", ROLES)
def test_every_page_has_the_security_headers_and_no_inline_code_in_production(
    production_app, make_user, route_ids, twilio_api, role
):
    mock_recordings(twilio_api)
    client = https_client(production_app)
    if role != "anonymous":
        member = make_user(role, "fr")
        assert log_in(client, member.email, member.password).status_code == 302
    endpoints = get_endpoints(production_app)
    assert {e for m, e in TABLE if m == "GET"} < set(endpoints)
    assert {"guide.service", "guide.search_guide"} < set(endpoints)
    assert "simulator.start" not in endpoints  # off in production, whatever the setting says
    paths = [path_of(production_app, endpoint, route_ids) for endpoint in endpoints]
    found, html = {}, 0
    for path in [*paths, "/no-such-page", "/tickets/999999"]:
        response = client.get(path)
        assert response.status_code < 500, path
        html += response.mimetype == "text/html"
        problems = header_problems(response, logged_in=role != "anonymous")
        if problems:
            found[path] = problems
    assert not found, f"{role}: {found}"
    assert html >= 4


# --- CSRF: staff forms always, machines never ------------------------------------------------


@pytest.mark.parametrize("role", ("anonymous", "admin"))
def test_every_staff_form_without_its_csrf_token_is_refused_and_writes_nothing(
    app, log_in, route_ids, role
):
    client = app.test_client() if role == "anonymous" else log_in(role, "fr")
    wrong = []
    for method, endpoint in TABLE:
        if method != "POST":
            continue
        path = path_of(app, endpoint, route_ids)
        before, newest = table_contents(app), last_entry(app)
        response = client.post(path, data=form(app, endpoint, role, route_ids))
        after = table_contents(app)
        changed = {name for name in before if before[name] != after[name]} - {"audit_entries"}
        logged = [action for action, _ in new_entries(app, newest)]
        if response.status_code != 400 or changed or logged != ["csrf.refused"]:
            wrong.append((endpoint, response.status_code, changed, logged))
    assert not wrong, f"{role}: {wrong}"
    if role == "admin":
        assert client.get("/staff/account").status_code == 200  # not even the logout went through


def test_only_the_webhooks_and_the_cases_api_are_exempt_from_csrf(app, route_ids):
    client = app.test_client()
    exempt, checked = set(), 0
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods:
            continue
        newest = last_entry(app)
        client.post(path_of(app, rule.endpoint, route_ids), data={"x": "1"})
        checked += 1
        if "csrf.refused" not in [action for action, _ in new_entries(app, newest)]:
            exempt.add(rule.endpoint.partition(".")[0])
    assert exempt == set(MACHINE_BLUEPRINTS)
    assert checked > len([m for m, _ in TABLE if m == "POST"])


WEBHOOK_PATHS = {
    "ivr.voice": "/ivr/voice",
    "ivr.step": "/ivr/step?s=1&l=fr",
    "ivr.status": "/ivr/status",
    "ivr.recording": "/ivr/recording?t=1",
    "ivr.transcription": "/ivr/transcription?t=1",
    "ivr.fallback": "/ivr/fallback",
    "ivr.queue_wait": "/ivr/queue/wait?l=fr",
    "ivr.queue_choice": "/ivr/queue/choice?l=fr",
    "desk_voice.bridge": "/ivr/desk/bridge?a=1",
    "desk_voice.connect": "/ivr/desk/connect?t=1&a=1",
    "desk_voice.join": "/ivr/desk/join?t=1",
    "outbox_status.report": "/ivr/outbox/1/status",
    "inbound_sms.inbound": "/ivr/sms",
}


def test_webhooks_need_no_csrf_token_escape_the_login_throttle_and_never_redirect(
    app, call, log_in, open_hours
):
    webhooks = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint.partition(".")[0] in WEBHOOK_BLUEPRINTS
    }
    assert webhooks == set(WEBHOOK_PATHS)
    client = log_in("agent", "fr")  # a staff session in the same browser changes nothing
    for n in range(20):  # the address (127.0.0.1, Twilio's here too) is now throttled for logins
        submitted = client.post(
            "/staff/login",
            data={
                "csrf_token": csrf_token(client),
                "email": f"guess{n}@example.org",
                "password": "wrong-password-123",
            },
        )
        assert submitted.status_code == 401
    throttled = client.post(
        "/staff/login",
        data={
            "csrf_token": csrf_token(client),
            "email": client.member.email,
            "password": client.member.password,
        },
    )
    assert "Trop de tentatives" in throttled.get_data(as_text=True)
    phone = call()
    phone.dial()
    answers = {}
    for endpoint, path in WEBHOOK_PATHS.items():
        data = phone.params(Digits="1", CallStatus="in-progress", RecordingSid="RE1")
        signature = sign(TOKEN, "http://localhost" + path, data)
        signed = client.post(path, data=data, headers={"X-Twilio-Signature": signature})
        unsigned = client.post(path, data=data)
        fetched = client.get(path, headers={"X-Twilio-Signature": signature})
        slashed = client.post(
            path.replace("?", "/?") if "?" in path else path + "/",
            data=data,
            headers={"X-Twilio-Signature": signature},
        )
        answers[endpoint] = (
            signed.status_code,
            signed.mimetype,
            unsigned.status_code,
            fetched.status_code,
            slashed.status_code,
        )
        assert signed.get_data(as_text=True).lstrip().startswith(("<?xml", "<Response")), path
    assert answers == dict.fromkeys(WEBHOOK_PATHS, (200, "text/xml", 403, 405, 404))
