"""The audit log a supervisor reads: things named and linked, changes in words, filtered by date."""

from __future__ import annotations

import re
from datetime import datetime

import sqlalchemy as sa
from helpers import audit_rows, post_form

from centre.clock import CENTRE_TZ
from centre.extensions import db
from desk import desk
from staff.models import AuditEntry, StaffUser
from tickets import services
from tickets.models import Ticket


def test_a_ticket_change_reads_as_its_reference_and_what_changed(
    app, log_in, make_user, time_machine
):
    time_machine.move_to(datetime(2026, 12, 1, 10, tzinfo=CENTRE_TZ), tick=False)
    agent = make_user("agent", "fr", email="amina@example.org")
    with app.app_context():
        ticket = services.open_ticket("complaint", "fr", "+33612345678", "k", country="FR")
        db.session.flush()
        me = db.session.get(StaffUser, agent.id)
        desk.assign(ticket, me, ticket.version, me)
        db.session.commit()
        reference, ident = ticket.reference, ticket.id
    page = log_in("supervisor", "", locale="fr").get("/staff/audit").get_data(as_text=True)
    page = re.sub(r"</?bdi[^>]*>", "", page)  # each value isolated for right-to-left pages
    assert f'<a href="/tickets/{ident}" dir="ltr">{reference}</a>' in page
    assert "statut : Nouveau → Ouvert" in page or "statut: Nouveau → Ouvert" in page
    assert "attribué à: — → amina@example.org" in page
    assert "version" not in page.split("<tbody>")[1]
    assert "{&#34;" not in page and '{"' not in page  # no JSON for a person to read


def test_an_account_change_names_the_account_and_the_role_in_words(app, log_in, make_user):
    make_user("agent", "fr ar", email="nadia@example.org")
    page = log_in("supervisor", "", locale="en").get("/staff/audit?action=user.create")
    text = re.sub(r"</?bdi[^>]*>", "", page.get_data(as_text=True))
    assert 'dir="ltr">nadia@example.org</a>' in text
    assert "role: Agent" in text and "languages: French, Arabic" in text


def test_the_audit_log_filters_by_moroccan_day(app, log_in, make_user, time_machine):
    for day in (1, 2, 3):
        time_machine.move_to(datetime(2026, 12, day, 23, 30, tzinfo=CENTRE_TZ), tick=False)
        make_user("agent", "fr", email=f"day{day}@example.org")
    time_machine.move_to(datetime(2026, 12, 4, 9, tzinfo=CENTRE_TZ), tick=False)
    supervisor = log_in("supervisor", "", locale="en")
    page = supervisor.get("/staff/audit?action=user.create&from=2026-12-02&to=2026-12-02")
    text = page.get_data(as_text=True)
    assert "day2@example.org" in text
    assert "day1@example.org" not in text and "day3@example.org" not in text
    assert 'name="from" value="2026-12-02"' in text
    assert supervisor.get("/staff/audit?from=not-a-day").status_code == 200
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 0


def test_times_kept_by_the_log_read_as_dates_and_kinds_as_words(app, log_in, open_hours):
    from datetime import timedelta

    from centre import clock
    from operations import running

    moment = clock.now()
    with app.app_context():
        running.add_closure(
            moment + timedelta(days=1),
            moment + timedelta(days=1, hours=2),
            reason="Grève",
            actor_email="test",
        )
        db.session.commit()
    page = log_in("supervisor", "", locale="en").get("/staff/audit?action=centre.closure_add")
    text = re.sub(r"</?bdi[^>]*>", "", page.get_data(as_text=True))
    assert "kind: Closure" in text and "T10:00" not in text and "+00:00" not in text
    assert "12/2/26" in text or "Dec 2, 2026" in text


def test_days_kept_by_the_log_read_as_dates_and_a_date_like_text_stays_as_typed(
    app, log_in, open_hours
):
    from datetime import date

    from operations import running

    with app.app_context():
        holiday = running.add_holiday(date(2026, 12, 24), "2026-13-45 eve", actor_email="a@x.org")
        running.confirm_holiday(holiday, date(2026, 12, 28), actor_email="a@x.org")
        db.session.commit()
    supervisor = log_in("supervisor", "", locale="en")
    page = supervisor.get("/staff/audit?action=centre.holiday").get_data(as_text=True)
    text = re.sub(r"</?bdi[^>]*>", "", page)
    assert "2026-12-24" not in text and "2026-12-28" not in text  # no ISO date for a person
    assert "12/24/26" in text or "Dec 24, 2026" in text  # the days before the move, a list
    assert "12/28/26" in text or "Dec 28, 2026" in text
    assert "2026-13-45 eve" in text  # not a date: left as typed


def test_the_audit_log_filters_by_person_and_pages_back_fifty_at_a_time(app, log_in, make_user):
    for n in range(52):
        make_user("agent", "fr", email=f"agent{n:02}@example.org")
    supervisor = log_in("supervisor", "", locale="en")
    with app.app_context():
        creations = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "user.create")
        )
    first = supervisor.get("/staff/audit?action=user.create").get_data(as_text=True)
    assert first.count("agent") >= 50 and "agent00@example.org" not in first  # newest first
    older = re.search(r'href="(/staff/audit\?before=[^"]+)"', first)
    assert older, "no link to older entries"
    second = supervisor.get(older.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert "agent00@example.org" in second and "agent51@example.org" not in second
    assert second.count("</tr>") - 1 == creations - 50  # the rest, after the heading row
    # One person's entries, the address typed in capitals: their login, and nothing else.
    mine = supervisor.get(f"/staff/audit?actor={supervisor.member.email.upper()}")
    rows = re.findall(r"<tr><td>.*?</tr>", mine.get_data(as_text=True), re.S)
    assert len(rows) == 1 and "Logged in" in rows[0], rows


def test_every_change_to_an_account_reads_as_who_did_what_to_which_account(app, log_in, open_hours):
    admin = log_in("admin", "", locale="en", email="chief@example.org")
    new = {"email": "amina@example.org", "password": "Quince-Meadow-Lighthouse-42"}
    created = post_form(admin, "/staff/users/new", {**new, "role": "agent", "languages": "fr"})
    assert created.status_code == 302
    with app.app_context():
        amina = db.session.scalar(sa.select(StaffUser.id).where(StaffUser.email == new["email"]))
    page = f"/staff/users/{amina}"
    form = {"action": "account", "languages": "fr", "active": "on"}
    assert post_form(admin, page, {**form, "role": "supervisor"}).status_code == 302
    changed = {**form, "role": "supervisor", "languages": ["fr", "ar"], "phone": "+212600000009"}
    assert post_form(admin, page, changed).status_code == 302
    reset = {"action": "password", "password": "Harbour-Quill-Orchard-77"}
    assert post_form(admin, page, reset).status_code == 302
    # An agent makes themself available for calls, then chooses German for their pages.
    agent = log_in("agent", "fr", email="nadia@example.org", phone="+212600000010")
    ready = post_form(agent, "/tickets/availability", {"available": "1"}, page="/tickets/")
    assert ready.status_code == 302
    own = {"action": "preferences", "locale": "de", "phone": "+212600000010"}
    assert post_form(agent, "/staff/account", own).status_code == 302

    supervisor = log_in("supervisor", "", locale="en")
    read = supervisor.get("/staff/audit?action=user.").get_data(as_text=True)
    account_rows = [row for row in audit_rows(read) if row[0] != "test"]  # the fixtures'
    assert account_rows == [
        (
            "nadia@example.org",
            "Account changed",
            "Account nadia@example.org",
            "page language: — → German",
        ),
        (
            "nadia@example.org",
            "Availability for calls changed",
            "Account nadia@example.org",
            "available for calls: no → yes",
        ),
        ("chief@example.org", "Password changed", "Account amina@example.org", ""),
        (
            "chief@example.org",
            "Account changed",
            "Account amina@example.org",
            "languages: French → French, Arabic phone: — → +212600000009",
        ),
        (
            "chief@example.org",
            "Role changed",
            "Account amina@example.org",
            "role: Agent → Supervisor",
        ),
        (
            "chief@example.org",
            "Account created",
            "Account amina@example.org",
            "email: amina@example.org role: Agent languages: French page language: — phone: — active: yes",
        ),
    ]
