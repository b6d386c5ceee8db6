"""Personal data: recordings past their retention are deleted; a caller is anonymised on request."""

# ruff: noqa: F811  (fixtures imported from test_desk and test_reports)

from __future__ import annotations

import logging
from datetime import UTC, timedelta

import sqlalchemy as sa
from test_desk import make_ticket  # noqa: F401  (a fixture)
from test_reports import CALLER, PERIOD, csv_rows, dashboard_tables, known_data, local, record_call  # noqa: F401

from centre import jobs, phones
from centre.extensions import db
from centre.messaging import OutboundMessage
from ivr import state
from ivr.models import Call, CallerPreference
from staff.models import AuditEntry
from tickets import callbacks, contact, services
from tickets.models import Callback, Recording, Ticket, TicketNote


def test_recordings_older_than_the_retention_period_are_deleted_and_the_run_is_reported(
    app, runner, time_machine
):
    with app.app_context():
        # Exactly 90 days old is not older than 90 days: that one stays one more run.
        for sid, days_ago in (("REold", 100), ("REedge", 90), ("REnew", 10)):
            # In UTC: 90 days before 4 December, Casablanca was on UTC+1, not UTC+0.
            when = local("2026-12-04T12:00").astimezone(UTC) - timedelta(days=days_ago)
            time_machine.move_to(when, tick=False)
            ticket = services.open_ticket("complaint", "fr", CALLER, "test-phone-key")
            db.session.flush()
            services.attach_recording(ticket.id, sid, f"https://api.twilio.com/x/{sid}", 5)
        db.session.commit()
    time_machine.move_to(local("2026-12-04T12:00"), tick=False)
    result = runner.invoke(args=["privacy", "purge-recordings"])
    assert result.exit_code == 0, result.output
    assert "Recordings older than 90 days:" in result.output
    assert "recordings deleted: 1" in result.output
    with app.app_context():
        urls = dict(db.session.execute(sa.select(Recording.recording_sid, Recording.url)).all())
        assert urls == {
            "REold": "",
            "REedge": "https://api.twilio.com/x/REedge",
            "REnew": "https://api.twilio.com/x/REnew",
        }
        logged = db.session.scalars(
            sa.select(OutboundMessage).where(OutboundMessage.purpose == "recording_deleted")
        ).all()
        assert [(m.provider_sid, m.status) for m in logged] == [("REold", "recorded")]
        audited = db.session.execute(
            sa.select(AuditEntry.after, AuditEntry.actor_email).where(
                AuditEntry.action == "privacy.purge_recordings"
            )
        ).one()
        # The log says the shell ran it (no person is logged in there), and what it did.
        assert tuple(audited) == ({"days": 90, "recordings deleted": 1}, "cli")
    again = runner.invoke(args=["privacy", "purge-recordings", "--days", "5"])
    assert "recordings deleted: 2" in again.output  # now the 90- and 10-day-old ones


def test_the_nightly_purge_keeps_the_configured_retention_and_says_what_it_did(
    app, time_machine, caplog
):
    app.config["RECORDING_RETENTION_DAYS"] = 30
    with app.app_context():
        for sid, days_ago in (("REold", 31), ("REnew", 29)):
            time_machine.move_to(local("2026-12-04T02:30") - timedelta(days=days_ago), tick=False)
            ticket = services.open_ticket("complaint", "fr", CALLER, "test-phone-key")
            db.session.flush()
            services.attach_recording(ticket.id, sid, f"https://api.twilio.com/x/{sid}", 5)
        db.session.commit()
    time_machine.move_to(local("2026-12-04T02:30"), tick=False)
    caplog.set_level(logging.INFO, logger="operations.privacy")
    with app.app_context():
        jobs.run_scheduled(
            "purge-recordings"
        )  # what the scheduler runs at 02:30 (jobs run in place)
        urls = dict(db.session.execute(sa.select(Recording.recording_sid, Recording.url)).all())
        assert urls == {"REold": "", "REnew": "https://api.twilio.com/x/REnew"}
        audited = db.session.scalar(
            sa.select(AuditEntry.after).where(AuditEntry.action == "privacy.purge_recordings")
        )
        assert audited == {"days": 30, "recordings deleted": 1}
    # The worker's log says the night's purge ran, and what it deleted.
    said = [r.getMessage() for r in caplog.records if r.name == "operations.privacy"]
    assert said == ["recordings purged: {'recordings deleted': 1}"]


def test_a_purged_recording_is_said_to_be_deleted_and_offers_no_player(
    app, runner, log_in, make_ticket, time_machine
):
    time_machine.move_to(local("2026-12-04T12:00") - timedelta(days=100), tick=False)
    purged = make_ticket(recording="REold")
    time_machine.move_to(local("2026-12-04T12:00"), tick=False)
    erased = make_ticket(recording="REerased", caller="+33612349999")
    kept = make_ticket(recording="REnew", caller="+33612340000")
    assert "recordings deleted: 1" in runner.invoke(args=["privacy", "purge-recordings"]).output
    runner.invoke(args=["privacy", "anonymise", "+33612349999"])
    agent = log_in("agent", "fr", locale="en")
    page = agent.get(f"/tickets/{purged}").get_data(as_text=True)
    assert "<audio" not in page and f"/tickets/{purged}/recordings/" not in page
    assert "deleted under the retention rule for personal data" in page
    page = agent.get(f"/tickets/{erased}").get_data(as_text=True)
    assert "<audio" not in page and "erased at their request" in page
    french = log_in("agent", "fr", locale="fr").get(f"/tickets/{purged}").get_data(as_text=True)
    assert "supprimé" in french and "<audio" not in french
    assert "<audio" in agent.get(f"/tickets/{kept}").get_data(as_text=True)


def test_anonymising_a_caller_removes_what_points_to_them_and_keeps_every_figure(
    app,
    known_data,  # noqa: F811 (the fixture imported above)
    runner,
    log_in,
    time_machine,  # noqa: F811 (the fixture imported above)
    caplog,
):
    digest = phones.keyed_hash(CALLER, "test-phone-key")
    with app.app_context():
        complaint = db.session.scalars(
            sa.select(Ticket).where(Ticket.caller_hash == digest, Ticket.type == "complaint")
        ).one()
        complaint_id = complaint.id
        services.attach_recording(complaint_id, "RE9", "https://api.twilio.com/x/RE9", 30)
        booked = callbacks.book(CALLER, "fr", "test-phone-key", local("2026-12-04T12:00"))
        callbacks.confirm(booked)  # an SMS to the caller, kept in the outbox
        state.remember_language(digest, "fr")
        db.session.commit()
        other_notes = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(TicketNote)
            .where(TicketNote.body != "[anonymised]")
        )
    client = log_in("supervisor", "", locale="en")
    before = dashboard_tables(client)
    before_csv = {key: csv_rows(client, key) for key in before}

    result = runner.invoke(args=["privacy", "anonymise", "+33 6 12 34 56 78"])
    assert result.exit_code == 0, result.output
    assert "Caller +33*******78 anonymised:" in result.output
    assert "calls: 2" in result.output and "tickets: 3" in result.output
    assert "callbacks cancelled: 1" in result.output
    assert "caller preferences: 1" in result.output  # the language their number chose

    with app.app_context():
        for model in (Call, Ticket):
            assert not db.session.scalars(sa.select(model).where(model.caller_hash == digest)).all()
        assert not db.session.scalars(sa.select(Ticket).where(Ticket.caller_number == CALLER)).all()
        assert db.session.get(CallerPreference, digest) is None
        assert (
            db.session.scalar(sa.select(Recording.url).where(Recording.recording_sid == "RE9"))
            == ""
        )
        assert set(db.session.scalars(sa.select(Callback.number))) == {""}
        # Nobody is asked to ring a number that is gone.
        assert set(db.session.scalars(sa.select(Callback.state))) == {"cancelled"}
        # The time zone their number gave their calls goes; the guide service heard stays.
        contexts = db.session.scalars(
            sa.select(Call.context).where(Call.caller_masked == "anonymised")
        ).all()
        assert contexts and all("tz" not in context for context in contexts)
        assert {"guide_slug": "passport"} in contexts
        # The audit log never copied the note, so nothing of it is left anywhere.
        logged = " ".join(str(e.after) for e in db.session.scalars(sa.select(AuditEntry)))
        assert "Dupont" not in logged and "note_length" in logged
        # The confirmation stays in the outbox (it counts), but no longer says to whom it went.
        confirmation = db.session.scalars(
            sa.select(OutboundMessage).where(OutboundMessage.purpose == "callback_booked")
        ).one()
        assert confirmation.to_number == ""
        # With the text that told them their complaint was handled, and its survey.
        assert "outbox numbers: 3" in result.output
        notes = db.session.scalars(
            sa.select(TicketNote.body).join(Ticket).where(Ticket.id == complaint_id)
        ).all()
        assert notes == ["[anonymised]", "[anonymised]"]  # the resolution and the text telling it
        assert "ticket notes: 2" in result.output
        assert "Mr Dupont" not in " ".join(db.session.scalars(sa.select(TicketNote.body)))
        assert other_notes - 2 == db.session.scalar(
            sa.select(sa.func.count())
            .select_from(TicketNote)
            .where(TicketNote.body != "[anonymised]")
        )
        audited = db.session.execute(
            sa.select(AuditEntry.after, AuditEntry.actor_email).where(
                AuditEntry.action == "privacy.anonymise"
            )
        ).one()
        # The shell ran it, and the log keeps what changed (counts, never the number).
        assert tuple(audited) == (
            {
                "outbox numbers": 3,
                "recordings deleted": 1,
                "ticket notes": 2,
                "callbacks cancelled": 1,
                "callback numbers": 1,
                "tickets": 3,
                "call steps' story": 0,
                "calls": 2,
                "caller preferences": 1,
                "case numbers": 0,
                "case lookups": 0,
            },
            "cli",
        )
    # The application log says it happened, naming the number only masked.
    assert "caller +33*******78 anonymised" in caplog.messages
    assert "612345678" not in caplog.text
    # Every figure of the dashboard and every CSV is what it was.
    assert dashboard_tables(client) == before
    assert {key: csv_rows(client, key) for key in before} == before_csv


def test_anonymising_something_that_is_not_a_number_is_refused(runner):
    result = runner.invoke(args=["privacy", "anonymise", "not-a-number"])
    assert result.exit_code == 2
    assert "is not a phone number" in result.output


def test_the_audit_log_records_that_a_note_was_written_never_its_text(app, log_in, make_ticket):
    from helpers import post_form

    ticket_id = make_ticket()
    agent = log_in("agent", "fr")
    with app.app_context():
        version = db.session.get(Ticket, ticket_id).version
    note = "Mme Leila Benali, née le 3 mars 1980, rappeler au 06 12 34 56 78."
    saved = post_form(
        agent,
        f"/tickets/{ticket_id}/save",
        {"version": version, "status": "waiting", "note": note},
        page=f"/tickets/{ticket_id}",
    )
    assert saved.status_code == 302
    with app.app_context():
        written = db.session.scalars(
            sa.select(TicketNote).where(TicketNote.ticket_id == ticket_id)
        ).one()
        entry = db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "ticket.status")
        ).one()
        assert entry.after == {
            "status": "waiting",
            "version": version + 1,
            "note_id": written.id,
            "note_length": len(note),
        }
        assert "Benali" not in str(entry.before) + str(entry.after)
    history = agent.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert history.count("Benali") == 1  # in the note itself, not in the history


def test_an_anonymised_callback_is_cancelled_and_cannot_be_rung(
    app, runner, log_in, make_ticket, open_hours
):
    from helpers import post_form

    ticket_id = make_ticket("callback", caller=CALLER)
    result = runner.invoke(args=["privacy", "anonymise", CALLER])
    assert "callbacks cancelled: 1" in result.output
    agent = log_in("agent", "fr", phone="+212600000001", locale="en")
    page = agent.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert "there is no number to call" in page
    assert f"/tickets/{ticket_id}/call-back" not in page
    with app.app_context():
        version = db.session.get(Ticket, ticket_id).version
    refused = post_form(
        agent, f"/tickets/{ticket_id}/call-back", {"version": version}, page=f"/tickets/{ticket_id}"
    )
    assert refused.status_code == 422
    assert "This ticket has no number to call back." in refused.get_data(as_text=True)
    with app.app_context():
        assert not db.session.scalars(
            sa.select(OutboundMessage).where(OutboundMessage.purpose == "callback")
        ).all()
        assert db.session.get(Callback, ticket_id).state == "cancelled"


def test_upgrading_removes_the_note_text_older_audit_entries_kept(tmp_path):
    from conftest import TEST_CONFIG
    from flask_migrate import upgrade

    from app import create_app

    old = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'old.db'}"})
    with old.app_context():
        upgrade(revision="5de1ac32fad0")  # the audit log as issue 5 left it
        for action, after in (
            ("ticket.status", '{"status": "resolved", "version": 3, "note": "Rappelé M. Dupont."}'),
            ("ticket.merge", '{"merged": "123456782"}'),
        ):
            db.session.execute(
                sa.text(
                    "INSERT INTO audit_entries (at, actor_email, action, target_type, target_id,"
                    " after, address) VALUES ('2026-11-01 10:00:00', 'a@example.org', :action,"
                    " 'ticket', 1, :after, '')"
                ),
                {"action": action, "after": after},
            )
        db.session.commit()
        upgrade()
        kept = dict(db.session.execute(sa.select(AuditEntry.action, AuditEntry.after)).all())
        db.engine.dispose()
    assert kept == {
        "ticket.status": {"status": "resolved", "version": 3, "note_length": 18},
        "ticket.merge": {"merged": "123456782"},
    }


def test_a_caller_anonymised_during_their_call_can_still_press_their_next_key(
    app, call, runner, open_hours
):
    phone = call()
    phone.dial()
    assert "Main menu." in phone.press("7").text  # English; the call keeps the caller's time zone
    with app.app_context():
        assert db.session.scalar(sa.select(Call.context)) == {"tz": "Europe/Paris"}

    result = runner.invoke(args=["privacy", "anonymise", phone.caller])
    assert result.exit_code == 0, result.output

    turn = phone.press("0")  # not taken for a replay of the last step
    assert turn.enqueue is not None, turn.text
    with app.app_context():
        row = db.session.scalars(sa.select(Call)).one()
        assert (row.node, row.caller_masked) == ("agent", "anonymised")
        assert "tz" not in row.context


def test_a_ticket_opened_by_phone_keeps_the_number_to_answer_until_the_caller_is_forgotten(
    app, call, runner, open_hours
):
    phone = call(caller="+33 6 12 34 56 78")
    phone.dial()
    phone.press("2")  # French
    phone.press("3")  # feedback
    phone.press("1")  # complaint
    phone.leave_message()
    other = call(caller="+33699887766")
    other.dial()
    other.press("2")
    other.press("3")
    other.press("2")  # a suggestion, from someone else
    other.leave_message()
    with app.app_context():
        numbers = {t.type: contact.caller_number(t) for t in db.session.scalars(sa.select(Ticket))}
        assert numbers == {"complaint": "+33612345678", "suggestion": "+33699887766"}
    result = runner.invoke(args=["privacy", "anonymise", "+33612345678"])
    assert "tickets: 1" in result.output
    with app.app_context():
        numbers = {t.type: contact.caller_number(t) for t in db.session.scalars(sa.select(Ticket))}
        assert numbers == {"complaint": None, "suggestion": "+33699887766"}
        assert (
            db.session.scalar(sa.select(Ticket.caller_number).where(Ticket.type == "complaint"))
            is None
        )


def test_a_callback_tickets_number_is_its_bookings_and_goes_with_it(
    app, runner, make_ticket, open_hours
):
    ticket_id = make_ticket("callback", caller=CALLER)
    with app.app_context():
        assert contact.caller_number(db.session.get(Ticket, ticket_id)) == CALLER
    runner.invoke(args=["privacy", "anonymise", CALLER])
    with app.app_context():
        assert contact.caller_number(db.session.get(Ticket, ticket_id)) is None


def test_anonymising_finds_the_callers_tickets_by_their_number_or_by_its_hash_alone(
    app, runner, open_hours
):
    with app.app_context():
        # Opened before tickets kept the number (the upgrade could not fill it): the hash only.
        older = services.open_ticket("complaint", "fr", CALLER, "test-phone-key")
        older.caller_number = None
        # Opened under an earlier PHONE_HASH_KEY: only the number still matches.
        rekeyed = services.open_ticket("suggestion", "fr", CALLER, "an-earlier-phone-key")
        other = services.open_ticket("complaint", "fr", "+33699887766", "test-phone-key")
        db.session.commit()
        ids = {"older": older.id, "rekeyed": rekeyed.id, "other": other.id}
    result = runner.invoke(args=["privacy", "anonymise", CALLER])
    assert result.exit_code == 0, result.output
    assert "tickets: 2" in result.output
    with app.app_context():
        left = {
            name: db.session.execute(
                sa.select(Ticket.caller_hash, Ticket.caller_number, Ticket.caller_masked).where(
                    Ticket.id == ticket_id
                )
            ).one()
            for name, ticket_id in ids.items()
        }
    assert tuple(left["older"]) == tuple(left["rekeyed"]) == (None, None, "anonymised")
    assert tuple(left["other"])[1:] == ("+33699887766", "+33*******66")


def test_anonymising_cancels_the_callers_booked_callbacks_and_no_others(
    app, runner, make_ticket, open_hours
):
    reached = make_ticket("callback", caller=CALLER)
    with app.app_context():
        db.session.get(Callback, reached).state = "done"  # an agent reached them last week
        db.session.commit()
    booked = make_ticket("callback", caller=CALLER)
    theirs = make_ticket("callback", caller="+33699887766")
    result = runner.invoke(args=["privacy", "anonymise", CALLER])
    assert result.exit_code == 0, result.output
    assert "callbacks cancelled: 1" in result.output and "callback numbers: 2" in result.output
    with app.app_context():
        states = {
            ticket_id: db.session.get(Callback, ticket_id).state
            for ticket_id in (reached, booked, theirs)
        }
    # The callback that happened still counts as reached; someone else's is still to ring.
    assert states == {reached: "done", booked: "cancelled", theirs: "booked"}


def test_an_agent_saving_a_ticket_whose_caller_was_forgotten_meanwhile_is_told_it_changed(
    app, runner, log_in, make_ticket
):
    from helpers import post_form

    ticket_id = make_ticket(caller=CALLER)
    page = f"/tickets/{ticket_id}"
    before, current = log_in("agent", "fr"), log_in("agent", "fr")
    with app.app_context():
        first = db.session.get(Ticket, ticket_id).version  # the page `before` keeps open
    saved = post_form(
        current, f"{page}/save", {"version": first, "status": "open", "note": ""}, page=page
    )
    assert saved.status_code == 302
    with app.app_context():
        second = db.session.get(Ticket, ticket_id).version  # `current` reloaded its page
    assert runner.invoke(args=["privacy", "anonymise", CALLER]).exit_code == 0
    # Neither page shows the ticket as it now is: both are told, nothing is written.
    for agent, seen in ((current, second), (before, first)):
        late = post_form(
            agent,
            f"{page}/save",
            {"version": seen, "status": "waiting", "note": "Rappeler au 06 12 34 56 78"},
            page=page,
        )
        assert late.status_code == 409
    with app.app_context():
        assert db.session.get(Ticket, ticket_id).status == "open"
        assert db.session.scalar(sa.select(sa.func.count()).select_from(TicketNote)) == 0
