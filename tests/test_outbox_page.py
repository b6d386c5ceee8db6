"""Supervisors see the texts and calls that did not arrive, in words, and send them again."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from helpers import post_form

from centre.extensions import db
from centre.messaging import OutboundMessage
from staff.models import AuditEntry


def outbox_row(app, **values: object) -> int:  # type: ignore[no-untyped-def]
    """Write an outbox row as a worker and Twilio's reports would have left it."""
    fields = {
        "channel": "sms",
        "purpose": "callback_booked",
        "to_number": "+33612345678",
        "language": "fr",
        "body": "Votre rappel",
        "attempts": 1,
        "created_at": datetime(2026, 12, 1, 9, 0),
        **values,
    }
    with app.app_context():
        message = OutboundMessage(**fields)
        db.session.add(message)
        db.session.commit()
        return message.id


def test_the_page_lists_what_did_not_arrive_in_words_and_a_resend_queues_a_new_message(
    app, log_in, time_machine
):
    time_machine.move_to("2026-12-01T10:00:00+00:00", tick=False)
    lost = outbox_row(app, status="undelivered", error_code="30003", provider_status="undelivered")
    unsure = outbox_row(
        app, status="check", purpose="case:ready_for_collection", to_number="+34600111222"
    )
    outbox_row(app, status="delivered")
    outbox_row(app, status="failed", created_at=datetime(2026, 11, 20, 9, 0))  # too old to show
    supervisor = log_in("supervisor", "fr", locale="fr")
    page = supervisor.get("/reports/messages/").get_data(as_text=True)
    assert page.count('action="/reports/messages/') == 2
    assert "Le téléphone était éteint ou hors de portée." in page
    assert "Confirmation du rappel" in page and "Nouvelles d’un dossier" in page
    assert "Incertain : vérifier avant de renvoyer" in page
    assert "+33*******78" in page and "+33612345678" not in page
    assert "30003" not in page and "callback_booked" not in page  # words, never codes
    answer = post_form(
        supervisor, f"/reports/messages/{lost}/resend", {}, page="/reports/messages/"
    )
    assert answer.status_code == 302
    with app.app_context():
        copy = db.session.scalar(
            sa.select(OutboundMessage).where(OutboundMessage.resent_from_id == lost)
        )
        assert (copy.to_number, copy.body, copy.status) == (
            "+33612345678",
            "Votre rappel",
            "recorded",
        )
        audit = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "outbox.resend"))
        assert (audit.target_type, audit.target_id) == ("outbound_message", lost)
    page = supervisor.get("/reports/messages/").get_data(as_text=True)
    assert page.count('action="/reports/messages/') == 1 and f"/{unsure}/resend" in page
    again = post_form(supervisor, f"/reports/messages/{lost}/resend", {}, page="/reports/messages/")
    assert again.status_code == 302
    assert "déjà été renvoyé" in supervisor.get("/reports/messages/").get_data(as_text=True)
    with app.app_context():
        assert (
            db.session.scalar(
                sa.select(sa.func.count()).where(OutboundMessage.resent_from_id == lost)
            )
            == 1
        )


def test_the_wallboard_shows_the_outbox_backlog_and_an_alert_for_failures(
    app, log_in, time_machine
):
    time_machine.move_to("2026-12-01T10:00:00+00:00", tick=False)
    outbox_row(app, status="queued", created_at=datetime(2026, 12, 1, 9, 55, 30))
    outbox_row(app, status="queued", attempts=2, next_attempt_at=datetime(2026, 12, 1, 10, 1))
    outbox_row(app, status="failed", created_at=datetime(2026, 12, 1, 8, 0))
    outbox_row(app, status="failed", created_at=datetime(2026, 11, 30, 8, 0))  # yesterday
    supervisor = log_in("supervisor", "fr", locale="en")
    board = supervisor.get("/reports/floor.json?lang=en").get_json()
    cells = board["cells"]
    assert (cells["outbox.queued"], cells["outbox.retrying"], cells["outbox.failed_today"]) == (
        "1",
        "1",
        "1",
    )
    assert cells["outbox.oldest"] == "60:00"  # the one to be tried again, written at 09:00
    assert "Texts or calls not delivered today: 1." in board["alerts"]
    page = supervisor.get("/reports/floor").get_data(as_text=True)
    assert "Outgoing texts and calls" in page and "/reports/messages/" in page
