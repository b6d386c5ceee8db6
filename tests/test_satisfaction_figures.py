"""Supervisors read the survey answers: the dashboard by language, type and agent; the wallboard."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import Flask
from helpers import walk_to_main_menu

from centre.extensions import db
from staff.models import StaffUser
from tickets import survey
from tickets.models import Ticket

TODAY = {"from": "2026-12-01", "to": "2026-12-01"}


def answered(
    app: Flask, call, caller: str, code: str, kind: str, agent_id: int, score: str
) -> None:  # type: ignore[no-untyped-def]
    """Leave feedback by phone, have `agent_id` resolve it, and answer its survey by SMS."""
    phone = call(caller=caller)
    walk_to_main_menu(phone, code)
    phone.press("3")
    phone.press({"complaint": "1", "suggestion": "2"}[kind])
    phone.leave_message()
    phone.hang_up()
    with app.app_context():
        ticket = db.session.scalar(sa.select(Ticket).order_by(Ticket.id.desc()))
        ticket.status = "resolved"
        survey.record_resolution(ticket, db.session.get(StaffUser, agent_id))
        survey.send_survey(ticket, caller)
        db.session.commit()
    assert phone.text(score)[0] == 200


def table_rows(page: str, key: str) -> list[list[str]]:
    """Return the cells of the dashboard's table `key`, row by row."""
    table = page.split(f'<table data-figure="{key}">')[1].split("</table>")[0]
    body = table.split("<tbody>")[1]
    return [re.findall(r"<td>([^<]*)</td>", row) for row in body.split("</tr>") if "<td>" in row]


def test_answers_feed_the_dashboard_by_language_type_and_agent(
    app: Flask, call, open_hours, make_user, log_in
) -> None:
    amina = make_user("agent", "fr", email="amina@example.org")
    karim = make_user("agent", "ar", email="karim@example.org")
    answered(app, call, "+33611111111", "fr", "complaint", amina.id, "5")
    answered(app, call, "+33622222222", "fr", "complaint", amina.id, "2")
    answered(app, call, "+33633333333", "ar", "suggestion", karim.id, "4")
    supervisor = log_in("supervisor", "", locale="en")
    page = supervisor.get("/reports/", query_string=TODAY).get_data(as_text=True)
    headline = page.split('<dl class="headline"')[1].split("</dl>")[0]
    figures = dict(re.findall(r"<dt>([^<]+)</dt><dd[^>]*>([^<]+)</dd>", headline))
    assert figures["Satisfaction"] == "67%"  # two answers of 4 or 5 out of three
    assert table_rows(page, "satisfaction-language") == [
        ["العربية", "1", "4", "100"],  # in the centre's order of languages
        ["français", "2", "3.5", "50"],
    ]
    assert table_rows(page, "satisfaction-type") == [
        ["Complaint", "2", "3.5", "50"],
        ["Suggestion", "1", "4", "100"],
    ]
    assert table_rows(page, "satisfaction-agent") == [
        ["amina@example.org", "2", "3.5", "50"],
        ["karim@example.org", "1", "4", "100"],
    ]


def test_the_wallboard_shows_todays_satisfaction_and_each_agents(
    app: Flask, call, open_hours, make_user, log_in
) -> None:
    amina = make_user("agent", "fr", email="amina@example.org")
    answered(app, call, "+33611111111", "fr", "complaint", amina.id, "5")
    answered(app, call, "+33622222222", "fr", "complaint", amina.id, "1")
    seen = log_in("supervisor", "").get("/reports/floor.json?lang=fr").get_json()
    assert seen["cells"]["satisfaction"] == "50\u00a0%"
    rows = {agent["cells"][0]: agent["cells"] for agent in seen["agents"]}
    assert rows["amina@example.org"][-1] == "50\u00a0%"


def test_without_answers_the_figures_say_so(app: Flask, open_hours, log_in) -> None:
    supervisor = log_in("supervisor", "", locale="en")
    seen = supervisor.get("/reports/floor.json?lang=en").get_json()
    assert seen["cells"]["satisfaction"] == "no answers yet"
    page = supervisor.get("/reports/", query_string=TODAY).get_data(as_text=True)
    assert 'data-figure="satisfaction-language"' not in page
    assert page.count("Nothing in this period.") >= 3
