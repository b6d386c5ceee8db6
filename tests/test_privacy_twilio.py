"""Recordings are deleted at Twilio itself, through its REST API (answered here by `responses`)."""

# ruff: noqa: F811  (the fixture imported from test_desk)

from __future__ import annotations

import base64
import logging
from datetime import datetime, timedelta

import pytest
import requests
import sqlalchemy as sa
from conftest import TOKEN, TWILIO_SID
from test_desk import make_ticket  # noqa: F401  (a fixture)

from centre.clock import CENTRE_TZ
from centre.extensions import db
from centre.messaging import OutboundMessage
from tickets import services
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


def _deletion_outbox(app) -> list[OutboundMessage]:  # type: ignore[no-untyped-def]
    """Return the outbox rows that note a recording's deletion, oldest first."""
    with app.app_context():
        return list(
            db.session.scalars(
                sa.select(OutboundMessage)
                .where(OutboundMessage.purpose == "recording_deleted")
                .order_by(OutboundMessage.id)
            )
        )


def deletions(app) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """Return (recording sid, status) of each deletion the outbox noted."""
    return [(row.provider_sid, row.status) for row in _deletion_outbox(app)]


def deletion_rows(app) -> list[tuple[object, ...]]:  # type: ignore[no-untyped-def]
    """Return each deletion's outbox row: channel, number, language, body, sid, status, error."""
    return [
        (r.channel, r.to_number, r.language, r.body, r.provider_sid, r.status, r.error)
        for r in _deletion_outbox(app)
    ]


def recording_id(app, sid: str) -> int:  # type: ignore[no-untyped-def]
    """Return the id of the recording `sid`."""
    with app.app_context():
        return db.session.scalar(sa.select(Recording.id).where(Recording.recording_sid == sid))


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
    app, runner, twilio_api, old_and_new_recordings, caplog, log_in
):
    # Twilio's reason, longer than the outbox keeps: the first 500 characters are kept.
    reason = "Service unavailable, try later. " * 20
    twilio_api.delete(f"{RECORDINGS}/REold.json", status=500, json={"message": reason})
    caplog.set_level(logging.WARNING, logger="tickets.privacy")
    result = runner.invoke(args=["privacy", "purge-recordings"])
    assert result.exit_code == 0, result.output
    assert "recordings whose deletion failed (kept, retried next run): 1" in result.output
    assert urls(app)["REold"] == "https://api.twilio.com/x/Recordings/REold"
    kept = ("HTTP 500 error: Unable to delete record: " + reason)[:500]
    # The outbox keeps the record of the attempt, its reason, and no person's number.
    assert deletion_rows(app) == [
        ("api", "", "", "DELETE Recordings/REold", "REold", "failed", kept)
    ]
    # The log tells which recording stayed at Twilio, and why.
    (warning,) = [r for r in caplog.records if r.name == "tickets.privacy"]
    assert (
        warning.getMessage()
        == f"recording {recording_id(app, 'REold')} could not be deleted at Twilio: {kept}"
    )
    # A deletion is not a text or a call: no supervisor is asked to send it again.
    supervisor = log_in("supervisor", "", locale="en")
    page = supervisor.get("/reports/messages/").get_data(as_text=True)
    assert "Every message of the last 7 days arrived, or was sent again." in page
    twilio_api.replace("DELETE", f"{RECORDINGS}/REold.json", status=204)
    again = runner.invoke(args=["privacy", "purge-recordings"])
    assert "recordings deleted: 1" in again.output
    assert deletions(app) == [("REold", "failed"), ("REold", "sent")]
    assert urls(app)["REold"] == ""


def test_a_recording_already_gone_at_twilio_counts_as_deleted(
    app, runner, twilio_api, old_and_new_recordings
):
    # Deleted by hand in Twilio's console: Twilio answers 404, and nothing is left to delete.
    twilio_api.delete(
        f"{RECORDINGS}/REold.json",
        status=404,
        json={"code": 20404, "message": "The requested resource was not found", "status": 404},
    )
    result = runner.invoke(args=["privacy", "purge-recordings"])
    assert result.exit_code == 0, result.output
    assert "recordings deleted: 1" in result.output and "failed" not in result.output
    assert deletions(app) == [("REold", "sent")]
    assert urls(app)["REold"] == ""
    # The next night's run has nothing left to ask Twilio.
    again = runner.invoke(args=["privacy", "purge-recordings"])
    assert "recordings deleted: 0" in again.output
    assert len(twilio_api.calls) == 1


def test_a_deletion_that_cannot_reach_twilio_is_kept_and_the_run_goes_on(
    app, runner, twilio_api, make_ticket, time_machine
):
    time_machine.move_to(TODAY - timedelta(days=100), tick=False)
    make_ticket(recording="REfirst")
    make_ticket(recording="REsecond", caller="+33612340000")
    time_machine.move_to(TODAY, tick=False)
    twilio_api.delete(
        f"{RECORDINGS}/REfirst.json", body=requests.ConnectionError("connection refused")
    )
    twilio_api.delete(f"{RECORDINGS}/REsecond.json", status=204)
    result = runner.invoke(args=["privacy", "purge-recordings"])
    assert result.exit_code == 0, result.output
    assert "recordings deleted: 1" in result.output
    assert "recordings whose deletion failed (kept, retried next run): 1" in result.output
    assert deletions(app) == [("REfirst", "failed"), ("REsecond", "sent")]
    assert deletion_rows(app)[0][-1] == "ConnectionError: connection refused"  # why it stayed
    assert urls(app) == {"REfirst": "https://api.twilio.com/x/Recordings/REfirst", "REsecond": ""}


def test_a_recording_the_app_holds_is_erased_here_and_twilio_is_not_asked(
    app, runner, twilio_api, make_ticket, time_machine, log_in
):
    # Development and demo data: the app holds the audio (the simulator's messages).
    time_machine.move_to(TODAY - timedelta(days=100), tick=False)
    held = make_ticket(recording="REheld")
    make_ticket(recording="REold", caller="+33612340000")  # after it, at Twilio
    with app.app_context():
        assert services.keep_audio("REheld", b"RIFF held audio")
        db.session.commit()
    time_machine.move_to(TODAY, tick=False)
    twilio_api.delete(f"{RECORDINGS}/REold.json", status=204)
    result = runner.invoke(args=["privacy", "purge-recordings"])
    assert result.exit_code == 0, result.output
    assert "recordings deleted: 2" in result.output
    assert [call.request.url for call in twilio_api.calls] == [f"{RECORDINGS}/REold.json"]
    assert deletions(app) == [("REold", "sent")]
    assert urls(app) == {"REheld": "", "REold": ""}
    agent = log_in("agent", "fr", locale="en")
    page = agent.get(f"/tickets/{held}").get_data(as_text=True)
    assert "<audio" not in page and "deleted under the retention rule" in page
    player = f"/tickets/{held}/recordings/{recording_id(app, 'REheld')}"
    assert agent.get(player).status_code == 404


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
