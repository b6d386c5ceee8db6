"""Recordings are deleted at Twilio itself, through its REST API (answered here by `responses`)."""

# ruff: noqa: F811  (the fixture imported from test_desk)

from __future__ import annotations

import base64
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from conftest import TOKEN, TWILIO_SID
from test_desk import make_ticket  # noqa: F401  (a fixture)

from centre.clock import CENTRE_TZ
from centre.extensions import db
from centre.messaging import OutboundMessage
from tickets.models import Recording

RECORDINGS = f"https://api.twilio.com/2010-04-01/Accounts/{TWILIO_SID}/Recordings"
TODAY = datetime(2026, 12, 4, 12, 0, tzinfo=CENTRE_TZ)


@pytest.fixture
def old_and_new_recordings(make_ticket, time_machine):  # type: ignore[no-untyped-def]
    """Make a 100-day-old recording (REold) and a 10-day-old one (REnew); freeze 'today'."""
    time_machine.move_to(TODAY - timedelta(days=100), tick=False)
    make_ticket(recording="REold")
    time_machine.move_to(TODAY - timedelta(days=10), tick=False)
    make_ticket(recording="REnew", caller="+33612340000")
    time_machine.move_to(TODAY, tick=False)


def deletions(app) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """Return (recording sid, status) of each deletion the outbox noted."""
    with app.app_context():
        rows = db.session.scalars(
            sa.select(OutboundMessage)
            .where(OutboundMessage.purpose == "recording_deleted")
            .order_by(OutboundMessage.id)
        ).all()
        return [(row.provider_sid, row.status) for row in rows]


def urls(app) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Return each recording's stored URL by its sid."""
    with app.app_context():
        return dict(db.session.execute(sa.select(Recording.recording_sid, Recording.url)).all())


def test_a_purged_recording_is_deleted_at_twilio_and_only_that_one(
    app, runner, twilio_api, old_and_new_recordings
):
    twilio_api.delete(f"{RECORDINGS}/REold.json", status=204)
    result = runner.invoke(args=["privacy", "purge-recordings"])
    assert result.exit_code == 0, result.output
    assert "recordings deleted: 1" in result.output
    sent = [(call.request.method, call.request.url) for call in twilio_api.calls]
    assert sent == [("DELETE", f"{RECORDINGS}/REold.json")]
    # Twilio refuses a deletion without the account's credentials.
    credentials = base64.b64encode(f"{TWILIO_SID}:{TOKEN}".encode()).decode()
    assert twilio_api.calls[0].request.headers["Authorization"] == f"Basic {credentials}"
    assert deletions(app) == [("REold", "sent")]
    assert urls(app) == {"REold": "", "REnew": "https://api.twilio.com/x/Recordings/REnew"}


def test_a_recording_twilio_refuses_to_delete_is_kept_and_retried_on_the_next_run(
    app, runner, twilio_api, old_and_new_recordings
):
    twilio_api.delete(f"{RECORDINGS}/REold.json", status=500, json={"message": "try later"})
    result = runner.invoke(args=["privacy", "purge-recordings"])
    assert "recordings whose deletion failed (kept, retried next run): 1" in result.output
    assert urls(app)["REold"] == "https://api.twilio.com/x/Recordings/REold"
    twilio_api.replace("DELETE", f"{RECORDINGS}/REold.json", status=204)
    again = runner.invoke(args=["privacy", "purge-recordings"])
    assert "recordings deleted: 1" in again.output
    assert deletions(app) == [("REold", "failed"), ("REold", "sent")]
    assert urls(app)["REold"] == ""


def test_anonymising_a_caller_deletes_their_recordings_at_twilio(
    app, runner, twilio_api, old_and_new_recordings
):
    twilio_api.delete(f"{RECORDINGS}/REnew.json", status=204)
    result = runner.invoke(args=["privacy", "anonymise", "+33612340000"])
    assert result.exit_code == 0, result.output
    assert [call.request.url for call in twilio_api.calls] == [f"{RECORDINGS}/REnew.json"]
    assert deletions(app) == [("REnew", "sent")]
    assert urls(app)["REnew"] == ""


def test_a_recording_already_purged_is_not_deleted_again_when_its_caller_is_forgotten(
    app, runner, twilio_api, old_and_new_recordings
):
    twilio_api.delete(f"{RECORDINGS}/REold.json", status=204)
    assert "recordings deleted: 1" in runner.invoke(args=["privacy", "purge-recordings"]).output
    result = runner.invoke(args=["privacy", "anonymise", "+33612345678"])  # REold's caller
    assert result.exit_code == 0, result.output
    assert "recordings deleted" not in result.output
    assert [call.request.url for call in twilio_api.calls] == [f"{RECORDINGS}/REold.json"]
    assert deletions(app) == [("REold", "sent")]
