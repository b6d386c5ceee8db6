"""The agents' desk through the test client: queue, ticket, notes, status, locking, merging, SLA."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from conftest import TOKEN, TWILIO_SID
from helpers import post_form, post_on_ticket, resolve_on_desk, ticket_version

from centre.clock import CENTRE_TZ, from_storage
from centre.extensions import db
from centre.messaging import OutboundMessage
from ivr import driver
from staff.models import AuditEntry, StaffUser
from tickets import callbacks, services
from tickets.models import Callback, Recording, Ticket, TicketNote

HASH_KEY = "test-phone-key"


@pytest.fixture
def make_ticket(app):  # type: ignore[no-untyped-def]
    """Return a factory of tickets opened as the phone menu opens them; it returns the id."""

    def make(
        type: str = "complaint",
        language: str = "fr",
        country: str = "FR",
        at: datetime | None = None,
        caller: str = "+33612345678",
        recording: str | None = None,
    ) -> int:
        with app.app_context():
            if type == "callback":
                ticket = callbacks.book(
                    caller, language, HASH_KEY, at or datetime.now(UTC), country=country
                )
            else:
                ticket = services.open_ticket(
                    type, language, caller, HASH_KEY, country=country, at=at
                )
            db.session.flush()
            if recording:
                services.attach_recording(
                    ticket.id, recording, f"https://api.twilio.com/x/Recordings/{recording}", 12
                )
            db.session.commit()
            return ticket.id

    return make


def ticket(app, ticket_id: int) -> Ticket:  # type: ignore[no-untyped-def]
    """Return the ticket as stored now (detached copy of its fields)."""
    with app.app_context():
        found = db.session.get(Ticket, ticket_id)
        db.session.expunge(found)
        return found


def references_on(page: str) -> list[str]:
    """Return the ticket references listed on a queue page, in order."""
    return re.findall(r'<a href="/tickets/\d+" dir="ltr">(\d{9})</a>', page)


# --- the queue -----------------------------------------------------------------------------


def test_an_agent_sees_only_the_tickets_of_their_languages(app, log_in, make_ticket):
    ids = {code: make_ticket(language=code) for code in ("fr", "ar", "es", "de")}
    agent = log_in("agent", "fr ar")
    shown = references_on(agent.get("/tickets/").get_data(as_text=True))
    expected = {ticket(app, ids[c]).reference for c in ("fr", "ar")}
    assert set(shown) == expected
    supervisor = log_in("supervisor", "", locale="en")
    everything = supervisor.get("/tickets/").get_data(as_text=True)
    assert len(references_on(everything)) == 4
    assert "<td>Arabic</td>" in everything and "<td>ar</td>" not in everything
    # Asking for another language through the filter changes nothing.
    page = agent.get("/tickets/?language=es").get_data(as_text=True)
    assert set(references_on(page)) == expected


# Tickets outside an agent's languages, by every route: tests/test_staff_routes.py.


def test_the_queue_puts_breached_then_breaching_first_then_the_rest_by_due_time_ties_by_age(
    app, log_in, make_ticket, time_machine, monkeypatch
):
    # Tuesday 1 December 2026, 10:00 in Casablanca (UTC+0); open 08:00-20:00 on weekdays.
    time_machine.move_to("2026-12-01T10:00:00+00:00", tick=False)
    quiet = make_ticket("suggestion", at=datetime(2026, 12, 1, 9, 59, tzinfo=UTC))
    # Due at 11:50, warned at 11:20: the soonest due, but not yet past its warning time.
    fresh_call = make_ticket("escalated_call", at=datetime(2026, 12, 1, 9, 50, tzinfo=UTC))
    # 18 open hours gone by Monday 20:00 (its warning), due Tuesday 14:00: breaching.
    breaching = make_ticket("complaint", at=datetime(2026, 11, 27, 14, tzinfo=UTC))
    # Due Monday 12:00: breached.
    breached = make_ticket("escalated_call", at=datetime(2026, 11, 30, 10, tzinfo=UTC))
    # Opened at the same moment: due at the same moment; the older (first opened) goes first.
    twin_one = make_ticket("complaint", at=datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    twin_two = make_ticket("complaint", at=datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    agent = log_in("agent", "fr")
    page = agent.get("/tickets/").get_data(as_text=True)
    order = [breached, breaching, fresh_call, twin_one, twin_two, quiet]
    assert references_on(page) == [ticket(app, i).reference for i in order]
    # Paged two by two, the queue reads the same, with nothing lost or repeated.
    monkeypatch.setattr("desk.queue.PAGE_SIZE", 2)
    seen, url = [], "/tickets/"
    while url:
        html = agent.get(url).get_data(as_text=True)
        seen += references_on(html)
        found = re.search(r'<a class="next" href="([^"]+)"', html)
        url = found.group(1).replace("&amp;", "&") if found else ""
    assert seen == [ticket(app, i).reference for i in order]


def test_the_queue_filters_by_type_status_language_country_and_date(
    app, log_in, make_ticket, time_machine
):
    time_machine.move_to("2026-12-01T09:00:00+00:00", tick=False)
    spain = make_ticket("complaint", "es", "ES", at=datetime(2026, 11, 20, 10, tzinfo=UTC))
    belgium = make_ticket("suggestion", "fr", "BE", at=datetime(2026, 11, 25, 10, tzinfo=UTC))
    france = make_ticket("observation", "fr", "FR", at=datetime(2026, 11, 28, 10, tzinfo=UTC))
    supervisor = log_in("supervisor", "")

    def shown(query: str) -> set[int]:
        page = supervisor.get(f"/tickets/?{query}").get_data(as_text=True)
        refs = set(references_on(page))
        return {i for i in (spain, belgium, france) if ticket(app, i).reference in refs}

    assert shown("type=suggestion") == {belgium}
    counts = [
        supervisor.get(f"/tickets/?{q}").get_data(as_text=True) for q in ("type=suggestion", "")
    ]
    assert '<p class="count">1 ticket</p>' in counts[0]
    assert '<p class="count">3 tickets</p>' in counts[1]
    assert shown("language=fr") == {belgium, france}
    assert shown("country=es") == {spain}
    assert shown("from=2026-11-24&to=2026-11-27") == {belgium}
    assert shown("status=resolved") == set()
    assert shown("status=new") == {spain, belgium, france}
    assert shown("type=nonsense&status=nonsense&from=yesterday") == {spain, belgium, france}


def test_the_queue_searches_by_reference_number_and_note_text(app, log_in, make_ticket):
    first, second = make_ticket(), make_ticket()
    agent = log_in("agent", "fr")
    post_on_ticket(app, agent, second, "save", {"status": "open", "note": "Passeport perdu à Lyon"})
    reference = ticket(app, first).reference
    assert references_on(agent.get(f"/tickets/?q={reference}").get_data(as_text=True)) == [
        reference
    ]
    by_number = agent.get(f"/tickets/?q=%23{first}&status=all").get_data(as_text=True)
    assert references_on(by_number) == [reference]
    by_text = agent.get("/tickets/?q=passeport+PERDU&status=all").get_data(as_text=True)
    assert references_on(by_text) == [ticket(app, second).reference]
    assert references_on(agent.get("/tickets/?q=100%25_x").get_data(as_text=True)) == []
    # % and _ are searched for as themselves, not as wildcards.
    post_on_ticket(app, agent, first, "save", {"status": "open", "note": "Frais remboursés à 100%"})
    assert references_on(agent.get("/tickets/?q=%C3%A0+100%25").get_data(as_text=True)) == [
        reference
    ]
    assert references_on(agent.get("/tickets/?q=1_0").get_data(as_text=True)) == []
    assert references_on(agent.get("/tickets/?q=rembours%25100").get_data(as_text=True)) == []


def test_the_queue_pages_by_keyset_without_losing_or_repeating_a_ticket(
    app, log_in, make_ticket, time_machine
):
    time_machine.move_to("2026-12-01T09:00:00+00:00", tick=False)
    with app.app_context():
        for n in range(120):
            services.open_ticket(
                "observation",
                "fr",
                "+33612345678",
                HASH_KEY,
                at=datetime(2026, 11, 1, tzinfo=UTC) + timedelta(minutes=n),
            )
        db.session.commit()
    agent = log_in("agent", "fr")
    seen: list[str] = []
    path = "/tickets/?type=observation"
    pages = 0
    while path:
        page = agent.get(path).get_data(as_text=True)
        seen += references_on(page)
        pages += 1
        following = re.search(r'<a class="next" href="([^"]+)"', page)
        path = following.group(1).replace("&amp;", "&") if following else ""
    assert pages == 3 and len(seen) == 120 and len(set(seen)) == 120
    assert "120 ticket" in agent.get("/tickets/").get_data(as_text=True)


# --- a ticket ------------------------------------------------------------------------------


def test_the_ticket_page_shows_the_journey_and_plays_the_recording_through_the_app(
    app, call, log_in, open_hours, twilio_api
):
    phone = call()
    phone.dial()
    phone.press("2")  # French
    phone.press("3")  # feedback
    phone.press("1")  # complaint
    phone.leave_message()
    assert phone.recording_ready() == 200
    with app.app_context():
        found = db.session.scalar(sa.select(Ticket))
        ticket_id = found.id
        sid = found.recordings[0].recording_sid
    # Fetched from the centre's own account at Twilio, whatever URL the callback carried.
    twilio_url = f"https://api.twilio.com/2010-04-01/Accounts/{TWILIO_SID}/Recordings/{sid}"
    agent = log_in("agent", "fr")
    page = agent.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert "Menu des langues" in page and "Menu principal" in page and "touche 3" in page
    assert f"/tickets/{ticket_id}/recordings/" in page and "<audio" in page
    assert twilio_url not in page and "api.twilio.com" not in page
    player = re.search(r'<audio controls preload="none" src="([^"]+)"', page).group(1)
    audio = b"ID3" + bytes(range(256)) * 600  # longer than one streamed chunk
    twilio_api.get(twilio_url + ".mp3", body=audio, content_type="audio/mpeg")
    played = agent.get(player)
    assert played.status_code == 200 and played.mimetype == "audio/mpeg"
    assert played.data == audio and played.headers["Cache-Control"] == "no-store"
    assert "twilio" not in str(played.headers).lower()
    (fetched,) = twilio_api.calls
    assert fetched.request.url == twilio_url + ".mp3"
    expected = base64.b64encode(f"{TWILIO_SID}:{TOKEN}".encode()).decode()
    assert fetched.request.headers["Authorization"] == f"Basic {expected}"
    # Nobody else gets it: not a visitor, not an editor, not an agent of other languages.
    visitor = app.test_client().get(player)
    assert visitor.status_code == 302 and "/staff/login" in visitor.headers["Location"]
    assert log_in("editor", "fr").get(player).status_code == 403
    assert log_in("agent", "es ar").get(player).status_code == 404
    assert len(twilio_api.calls) == 1
    # Twilio failing, or no account configured: a plain 404, never a 500 or Twilio's own page.
    twilio_api.replace("GET", twilio_url + ".mp3", status=500, body=b"<html>Twilio error")
    assert agent.get(player).status_code == 404
    app.config["TWILIO_ACCOUNT_SID"] = ""
    assert agent.get(player).status_code == 404 and len(twilio_api.calls) == 2


def test_claim_note_and_resolve_with_a_required_resolution_note(app, log_in, make_ticket):
    ticket_id = make_ticket()
    agent = log_in("agent", "fr")
    claimed = post_on_ticket(app, agent, ticket_id, "assign", {"to": "me"})
    assert claimed.status_code == 302
    assert ticket(app, ticket_id).assignee_id == agent.member.id
    assert ticket(app, ticket_id).status == "open"
    refused = post_on_ticket(app, agent, ticket_id, "save", {"status": "resolved", "note": " "})
    assert refused.status_code == 422 and ticket(app, ticket_id).status == "open"
    resolved = resolve_on_desk(app, agent, ticket_id, "Rappelé, rendez-vous fixé.")
    assert resolved.status_code == 302 and ticket(app, ticket_id).status == "resolved"
    with app.app_context():
        note = db.session.scalar(sa.select(TicketNote))
        assert note.kind == "resolution" and note.author_id == agent.member.id
        entry = db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "ticket.status")
        ).one()
        assert entry.before["status"] == "open" and entry.after["status"] == "resolved"
    page = agent.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert "Rappelé, rendez-vous fixé." in page
    # The history names what was done, and the ticket its language, in the agent's language.
    assert "Ticket pris en charge" in page and "Statut modifié" in page
    assert "ticket.claim" not in page and "ticket.status" not in page
    assert "<dt>Langue</dt><dd>Français</dd>" in page


def test_a_ticket_is_handed_only_to_an_agent_of_its_language(app, log_in, make_ticket, make_user):
    ticket_id = make_ticket(language="ar")
    supervisor = log_in("supervisor", "")
    arabic = make_user("agent", "ar")
    french = make_user("agent", "fr")
    page = supervisor.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert arabic.email in page and french.email not in page
    wrong = post_on_ticket(app, supervisor, ticket_id, "assign", {"to": str(french.id)})
    assert wrong.status_code == 422
    right = post_on_ticket(app, supervisor, ticket_id, "assign", {"to": str(arabic.id)})
    assert right.status_code == 302 and ticket(app, ticket_id).assignee_id == arabic.id
    post_on_ticket(app, supervisor, ticket_id, "assign", {"to": "none"})
    assert ticket(app, ticket_id).assignee_id is None


def test_everyone_who_works_the_desk_can_be_handed_a_ticket(app, log_in, make_ticket, make_user):
    ticket_id = make_ticket(language="ar")
    agent = log_in("agent", "ar")
    supervisor, admin = make_user("supervisor", ""), make_user("admin", "")
    editor = make_user("editor", "ar")
    gone = make_user("agent", "ar")  # an Arabic agent whose account was disabled since
    with app.app_context():
        db.session.get(StaffUser, gone.id).active = False
        db.session.commit()
    page = agent.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    hand_to = page.split('<select name="to">')[1].split("</select>")[0]
    offered = set(re.findall(r'<option value="(\d+)">', hand_to))
    assert offered == {str(agent.member.id), str(supervisor.id), str(admin.id)}
    assert editor.email not in page and gone.email not in page
    # Listed by address, whatever the order the accounts were made in.
    listed = re.findall(r'<option value="\d+">([^<]+)</option>', hand_to)
    assert listed == sorted([agent.member.email, supervisor.email, admin.email])
    handed = post_on_ticket(app, agent, ticket_id, "assign", {"to": str(admin.id)})
    assert handed.status_code == 302 and ticket(app, ticket_id).assignee_id == admin.id
    refused = post_on_ticket(app, agent, ticket_id, "assign", {"to": str(editor.id)})
    assert refused.status_code == 422 and ticket(app, ticket_id).assignee_id == admin.id


def test_the_second_of_two_agents_saving_is_told_and_sees_the_other_change(
    app, log_in, make_ticket
):
    ticket_id = make_ticket()
    first, second = log_in("agent", "fr"), log_in("agent", "fr")
    seen = ticket_version(app, ticket_id)  # both pages show this version
    saved = post_form(
        first,
        f"/tickets/{ticket_id}/save",
        {"version": seen, "status": "waiting", "note": "En attente du passeport"},
        page=f"/tickets/{ticket_id}",
    )
    assert saved.status_code == 302
    late = post_form(
        second,
        f"/tickets/{ticket_id}/save",
        {"version": seen, "status": "closed", "note": "Clos par erreur"},
        page=f"/tickets/{ticket_id}",
    )
    assert late.status_code == 409
    page = late.get_data(as_text=True)
    assert "Quelqu&#39;un d&#39;autre a modifié ce ticket" in page
    assert first.member.email in page and 'statut: <bdi dir="auto">' in page
    assert '<bdi dir="auto">En attente</bdi>' in page and '"status": ' not in page  # words, no JSON
    assert "Clos par erreur</textarea>" in page  # the second agent's text is not lost
    assert ticket(app, ticket_id).status == "waiting"
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(TicketNote)) == 1


def test_merging_three_calls_keeps_every_recording_note_and_the_history(app, log_in, make_ticket):
    ids = [make_ticket(recording=f"RE{n}") for n in range(3)]
    agent = log_in("agent", "fr")
    for ticket_id in ids:
        post_on_ticket(
            app, agent, ticket_id, "save", {"status": "open", "note": f"note {ticket_id}"}
        )
    survivor, *duplicates = ids
    refs = " ".join(ticket(app, d).reference for d in duplicates)
    merged = post_on_ticket(app, agent, survivor, "merge", {"references": refs})
    assert merged.status_code == 302
    with app.app_context():
        kept = db.session.get(Ticket, survivor)
        assert {r.recording_sid for r in kept.recordings} == {"RE0", "RE1", "RE2"}
        assert {f"note {i}" for i in ids} <= {n.body for n in kept.notes}
        for duplicate in duplicates:
            gone = db.session.get(Ticket, duplicate)
            assert gone.merged_into_id == survivor and gone.status == "closed"
    page = agent.get(f"/tickets/{survivor}").get_data(as_text=True)
    assert "2 tickets fusionnés avec celui-ci." in page
    assert page.count("<audio") == 3 and f"#{duplicates[0]}" in page  # their history too
    refused = post_form(
        agent,
        f"/tickets/{duplicates[0]}/save",
        {"version": ticket_version(app, duplicates[0]), "status": "open", "note": "x"},
        page=f"/tickets/{duplicates[0]}",
    )
    assert refused.status_code == 422
    # A recording Twilio reports late for a merged ticket lands on the survivor.
    with app.app_context():
        services.attach_recording(duplicates[1], "RE9", "https://api.twilio.com/x/RE9", 3)
        db.session.commit()
        assert (
            db.session.scalar(
                sa.select(Recording.ticket_id).where(Recording.recording_sid == "RE9")
            )
            == survivor
        )


# --- SLA -----------------------------------------------------------------------------------


def test_the_sla_counts_opening_hours_only(app, make_ticket):
    # Friday 4 December 2026, 19:00 in Casablanca; 24 open hours for a complaint.
    ticket_id = make_ticket("complaint", at=datetime(2026, 12, 4, 19, tzinfo=CENTRE_TZ))
    found = ticket(app, ticket_id)
    # 1 hour on Friday, 12 on Monday, 11 on Tuesday: Tuesday 8 December at 19:00.
    assert from_storage(found.due_at) == datetime(2026, 12, 8, 19, tzinfo=CENTRE_TZ)
    assert from_storage(found.warn_at) == datetime(2026, 12, 8, 13, tzinfo=CENTRE_TZ)


def test_a_complaint_opened_as_the_centre_opens_falls_due_as_it_closes_the_next_day(
    app, make_ticket
):
    # Tuesday 1 December 2026 at 08:00: its 24 open hours are the whole of Tuesday and the
    # whole of Wednesday (08:00-20:00), so it falls due at Wednesday's close, not on Thursday.
    found = ticket(app, make_ticket("complaint", at=datetime(2026, 12, 1, 8, tzinfo=CENTRE_TZ)))
    assert from_storage(found.due_at) == datetime(2026, 12, 2, 20, tzinfo=CENTRE_TZ)
    # Three quarters (18 hours): Tuesday's twelve and six on Wednesday.
    assert from_storage(found.warn_at) == datetime(2026, 12, 2, 14, tzinfo=CENTRE_TZ)


def test_suggestions_and_observations_get_sixty_opening_hours(app, make_ticket):
    # Tuesday 1 December 2026, 10:00: 10 hours that day, 12 each on Wednesday, Thursday,
    # Friday and Monday, then 2 on Tuesday 8 December.
    opened = datetime(2026, 12, 1, 10, tzinfo=CENTRE_TZ)
    for kind in ("suggestion", "observation"):
        found = ticket(app, make_ticket(kind, at=opened))
        assert from_storage(found.due_at) == datetime(2026, 12, 8, 10, tzinfo=CENTRE_TZ), kind
        # Three quarters of the time (45 hours) are gone on Friday at 19:00.
        assert from_storage(found.warn_at) == datetime(2026, 12, 4, 19, tzinfo=CENTRE_TZ), kind


def test_a_callbacks_sla_runs_from_its_booked_time_not_from_the_request(
    app, make_ticket, open_hours
):
    # One callback per slot: the fifth caller asking at 10:00 is booked at 11:00.
    app.config["CALLBACK_SLOT_CAPACITY"] = 1
    ids = [make_ticket("callback", caller=f"+3361234560{n}") for n in range(5)]
    last = ticket(app, ids[-1])
    assert from_storage(last.created_at) == datetime(2026, 12, 1, 10, tzinfo=CENTRE_TZ)
    # It stands out from its booked time and is late an opening hour after it.
    assert from_storage(last.warn_at) == datetime(2026, 12, 1, 11, tzinfo=CENTRE_TZ)
    assert from_storage(last.due_at) == datetime(2026, 12, 1, 12, tzinfo=CENTRE_TZ)


def test_tickets_about_to_breach_stand_out(app, log_in, make_ticket, time_machine):
    time_machine.move_to(datetime(2026, 12, 1, 10, tzinfo=CENTRE_TZ), tick=False)
    calm = make_ticket("suggestion", at=datetime(2026, 12, 1, 9, 30, tzinfo=CENTRE_TZ))
    close = make_ticket("escalated_call", at=datetime(2026, 12, 1, 8, 20, tzinfo=CENTRE_TZ))
    late = make_ticket("escalated_call", at=datetime(2026, 11, 30, 10, tzinfo=CENTRE_TZ))
    # Two hours from 08:30: its warning time (an hour and a half in) is this very minute.
    warned = make_ticket("escalated_call", at=datetime(2026, 12, 1, 8, 30, tzinfo=CENTRE_TZ))
    agent = log_in("agent", "fr")
    page = agent.get("/tickets/").get_data(as_text=True)
    rows = re.findall(
        r'<tr class="ticket-row ?([a-z]*)"[^>]*>\s*<td><a href="/tickets/(\d+)"', page
    )
    classes = {int(ident): css for css, ident in rows}
    assert classes == {calm: "", close: "breaching", late: "breached", warned: "breaching"}
    assert "Due in" not in page
    ticket_page = agent.get(f"/tickets/{late}").get_data(as_text=True)
    assert "En retard de" in ticket_page


# --- callbacks and queued calls -----------------------------------------------------------


def test_call_back_rings_the_agent_and_bridges_the_caller(app, log_in, make_ticket, call):
    ticket_id = make_ticket("callback", caller="+33612345699")
    agent = log_in("agent", "fr", phone="+212600000001")
    response = post_on_ticket(app, agent, ticket_id, "call-back")
    assert response.status_code == 302
    with app.app_context():
        placed = db.session.scalars(
            sa.select(OutboundMessage).where(OutboundMessage.channel == "call")
        ).one()
        assert placed.to_number == "+212600000001" and placed.status == "recorded"
        assert "test-auth-token" not in placed.body and "+33612345699" not in placed.body
        attempt_id = db.session.scalar(sa.text("SELECT id FROM callback_attempts"))
    # When the agent answers, Twilio asks the app what to do: dial the caller.
    phone = call()
    bridged = phone.transport.post(
        f"http://localhost/ivr/desk/bridge?a={attempt_id}",
        *_signed(f"http://localhost/ivr/desk/bridge?a={attempt_id}"),
    )
    assert bridged[0] == 200 and "<Dial" in bridged[2] and "+33612345699" in bridged[2]
    outcome = post_on_ticket(app, agent, ticket_id, "outcome", {"outcome": "reached"})
    assert outcome.status_code == 302
    with app.app_context():
        assert db.session.get(Callback, ticket_id).state == "done"
        assert db.session.scalar(sa.text("SELECT outcome FROM callback_attempts")) == "reached"


def test_a_rescheduled_callback_moves_later_and_the_caller_is_told(
    app, log_in, make_ticket, open_hours
):
    ticket_id = make_ticket("callback", caller="+33612345698")
    with app.app_context():
        before = db.session.get(Callback, ticket_id).scheduled_at
    agent = log_in("agent", "fr")
    post_on_ticket(app, agent, ticket_id, "outcome", {"outcome": "rescheduled"})
    with app.app_context():
        booking = db.session.get(Callback, ticket_id)
        assert booking.scheduled_at >= before + timedelta(minutes=59)
        assert (
            db.session.scalar(
                sa.select(sa.func.count())
                .select_from(OutboundMessage)
                .where(OutboundMessage.purpose == "callback_moved")
            )
            == 1
        )


def test_a_callback_rescheduled_after_its_time_came_moves_later_and_the_caller_is_told(
    app, log_in, make_ticket, open_hours, time_machine
):
    ticket_id = make_ticket("callback", caller="+33612345698")
    with app.app_context():
        assert db.session.get(Callback, ticket_id).scheduled_at == datetime(2026, 12, 1, 10, 0)
    # The agent rings at 10:20, after the slot began; the caller asks to be rung later.
    time_machine.move_to("2026-12-01T10:20:00+00:00", tick=False)
    agent = log_in("agent", "fr")
    done = post_on_ticket(app, agent, ticket_id, "outcome", {"outcome": "rescheduled"})
    assert done.status_code == 302
    with app.app_context():
        booking = db.session.get(Callback, ticket_id)
        assert booking.state == "booked" and booking.scheduled_at >= datetime(2026, 12, 1, 11, 20)
        told = db.session.scalars(
            sa.select(OutboundMessage).where(OutboundMessage.purpose == "callback_moved")
        ).all()
        assert [m.to_number for m in told] == ["+33612345698"]


def test_rescheduling_a_callback_with_no_time_free_in_the_horizon_is_refused(
    app, log_in, make_ticket, open_hours, time_machine, monkeypatch
):
    # Tuesday 10:00: a one-day horizon of four-hour slots for one callback each.
    app.config.update(CALLBACK_SLOT_MINUTES=240, CALLBACK_SLOT_CAPACITY=1)
    monkeypatch.setattr(callbacks, "HORIZON", timedelta(days=1))
    first = make_ticket("callback", caller="+33612345601")  # 12:00
    make_ticket("callback", caller="+33612345602")  # 16:00
    time_machine.move_to("2026-12-01T12:05:00+00:00", tick=False)
    make_ticket("callback", caller="+33612345603")  # Wednesday 08:00, the last slot
    with app.app_context():
        booked = sorted(db.session.scalars(sa.select(Callback.scheduled_at)))
    time_machine.move_to("2026-12-01T12:10:00+00:00", tick=False)
    agent = log_in("agent", "fr", locale="en")
    refused = post_on_ticket(app, agent, first, "outcome", {"outcome": "rescheduled"})
    assert refused.status_code == 422
    assert "Not rescheduled: no callback time is free within the booking horizon." in (
        refused.get_data(as_text=True)
    )
    with app.app_context():  # nothing changed, nobody was told anything
        assert sorted(db.session.scalars(sa.select(Callback.scheduled_at))) == booked
        assert db.session.get(Callback, first).state == "booked"
        assert not db.session.scalars(
            sa.select(OutboundMessage).where(OutboundMessage.purpose == "callback_moved")
        ).all()
        assert not db.session.scalars(sa.select(TicketNote)).all()


def test_what_the_desk_notes_is_read_in_each_readers_language(app, log_in, make_ticket, open_hours):
    survivor = make_ticket("callback", caller="+33612345697")
    duplicate = make_ticket()
    french = log_in("agent", "fr", locale="fr")
    post_on_ticket(app, french, survivor, "outcome", {"outcome": "no_answer"})
    post_on_ticket(app, french, survivor, "merge", {"references": ticket(app, duplicate).reference})
    reference = ticket(app, duplicate).reference
    seen_in_french = french.get(f"/tickets/{survivor}").get_data(as_text=True)
    assert "Rappel : pas de réponse." in seen_in_french
    assert f"Fusionnés avec ce ticket : {reference}." in seen_in_french
    english = log_in("supervisor", "", locale="en").get(f"/tickets/{survivor}")
    seen_in_english = english.get_data(as_text=True)
    assert "Callback: no answer." in seen_in_english
    assert f"Merged into this ticket: {reference}." in seen_in_english
    assert "Rappel" not in seen_in_english and "Fusionné" not in seen_in_english


def test_an_available_agent_takes_the_longest_waiting_caller_of_their_languages(
    app, call, log_in, open_hours
):
    first, second = call(caller="+33612340001"), call(caller="+33612340002")
    for phone in (first, second):
        phone.dial()
        phone.press("2")
        turn = phone.press("0")
        assert turn.enqueue and turn.enqueue["name"] == "agents-fr"
    agent = log_in("agent", "fr", phone="+212600000002")
    assert post_form(agent, "/tickets/take-call", {}, page="/tickets/").status_code == 302
    assert "Indiquez d&#39;abord que vous" in agent.get("/tickets/").get_data(as_text=True)
    post_form(agent, "/tickets/availability", {"available": "1"}, page="/tickets/")
    seen = agent.get("/tickets/waiting").get_json()
    assert (seen["available"], seen["ringing"], seen["waiting"]) == (True, False, 2)
    assert [caller["language_name"] for caller in seen["callers"]] == ["Français", "Français"]
    taken = post_form(agent, "/tickets/take-call", {}, page="/tickets/")
    with app.app_context():
        escalated = db.session.scalars(
            sa.select(Ticket).where(Ticket.type == "escalated_call").order_by(Ticket.id)
        ).all()
        oldest = escalated[0]
        assert taken.headers["Location"] == f"/tickets/{oldest.id}"
        assert oldest.assignee_id == agent.member.id and oldest.status == "open"
        assert escalated[1].assignee_id is None
        placed = db.session.scalars(
            sa.select(OutboundMessage).where(OutboundMessage.purpose == "queued_call")
        ).one()
        assert placed.to_number == "+212600000002"
        entry = db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "ticket.take_call")
        ).one()
        assert (entry.target_id, entry.actor_id) == (oldest.id, agent.member.id)
        assert entry.before == {"status": "new", "assignee": None, "version": oldest.version - 1}
        assert entry.after == {
            "status": "open",
            "assignee": agent.member.email,
            "version": oldest.version,
        }
    # While the agent's phone rings for that caller, they take nobody else; the second caller
    # still waits, and goes to another French agent.
    refused = post_form(agent, "/tickets/take-call", {}, page="/tickets/")
    assert refused.headers["Location"] == "/tickets/"
    assert "Votre téléphone sonne déjà" in agent.get("/tickets/").get_data(as_text=True)
    assert agent.get("/tickets/waiting").get_json()["waiting"] == 1
    colleague = log_in("agent", "fr", phone="+212600000004")
    post_form(colleague, "/tickets/availability", {"available": "1"}, page="/tickets/")
    second = post_form(colleague, "/tickets/take-call", {}, page="/tickets/")
    assert second.headers["Location"] == f"/tickets/{escalated[1].id}"
    dutch = log_in("agent", "nl", phone="+212600000003")
    post_form(dutch, "/tickets/availability", {"available": "1"}, page="/tickets/")
    nobody = post_form(dutch, "/tickets/take-call", {}, page="/tickets/")
    assert nobody.headers["Location"] == "/tickets/"


def test_desk_webhooks_refuse_unsigned_requests(app, client):
    assert client.post("/ivr/desk/connect?t=1&a=1").status_code == 403
    assert client.post("/ivr/desk/join?t=1").status_code == 403
    assert client.post("/ivr/desk/bridge?a=1").status_code == 403


def _signed(url: str, data: dict[str, str] | None = None) -> tuple[dict[str, str], dict[str, str]]:
    """Return the form and headers of a request Twilio signed for `url`."""
    form = data or {"CallSid": "CAagentleg", "From": "+18005550000", "To": "+212600000001"}
    return form, {"X-Twilio-Signature": driver.sign(TOKEN, url, form)}


def test_the_ticket_page_counts_down_in_opening_hours_and_is_overdue_from_the_due_minute(
    app, make_ticket, log_in, time_machine
):
    # A complaint on Tuesday 1 December at 10:00 has 24 opening hours (08:00-20:00): 10 on
    # Tuesday, 12 on Wednesday, 2 on Thursday. It falls due on Thursday at 10:00.
    ticket_id = make_ticket("complaint", at=datetime(2026, 12, 1, 10, tzinfo=CENTRE_TZ))
    for moment, said in (
        (datetime(2026, 12, 1, 13, tzinfo=CENTRE_TZ), "Due in 21 hours of opening hours."),
        (datetime(2026, 12, 3, 10, tzinfo=CENTRE_TZ), "Overdue by 0 seconds of opening hours."),
        (datetime(2026, 12, 3, 12, tzinfo=CENTRE_TZ), "Overdue by 2 hours of opening hours."),
    ):
        time_machine.move_to(moment, tick=False)
        agent = log_in("agent", "fr", locale="en")  # a session lapses after 30 idle minutes
        page = agent.get(f"/tickets/{ticket_id}").get_data(as_text=True)
        assert said in page, (moment, re.findall(r"<dt>Due</dt><dd[^>]*>[^<]*", page))
    # Once resolved, its clock stops: no count, no overdue.
    resolved = post_on_ticket(
        app, agent, ticket_id, "save", {"status": "resolved", "note": "Answered by mail"}
    )
    assert resolved.status_code == 302
    page = agent.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert "of opening hours" not in page


@pytest.mark.parametrize(
    ("locale", "germany", "spain"),
    [
        ("fr", "Allemagne", "Espagne"),
        ("ar", "ألمانيا", "إسبانيا"),
        ("de", "Deutschland", "Spanien"),
    ],
)
def test_the_desk_names_countries_in_the_readers_language(
    app, log_in, make_ticket, locale, germany, spain
):
    ticket_id = make_ticket("complaint", "de", "DE")
    reader = log_in("supervisor", "", locale=locale)

    page = reader.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert re.search(rf"<dd>{germany}</dd>", page)
    queue = reader.get("/tickets/").get_data(as_text=True)
    assert f"<td>{germany}</td>" in queue
    # The filter offers the centre's countries by name, and filters by them.
    assert f'<option value="ES" >{spain}</option>' in queue
    assert '<input name="country"' not in queue
    chosen = reader.get("/tickets/?country=DE").get_data(as_text=True)
    assert f'<option value="DE" selected>{germany}</option>' in chosen
    assert ticket(app, ticket_id).reference in references_on(chosen)
