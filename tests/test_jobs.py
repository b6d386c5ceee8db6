"""Outgoing messages as jobs on the real broker (Redis): sent once, retried, reported, scheduled.

Every test here binds the job queue to Redis at TEST_REDIS_URL (under the test's own prefix)
instead of the suite's immediate mode; workers are this process (`jobs.run_ready`), a consumer
started in it, or real `flask jobs run` processes killed with SIGKILL.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import responses
import sqlalchemy as sa
from conftest import PUBLIC_URL, TEST_REDIS_URL, TOKEN, TWILIO_SID
from test_reports import CALLER, local

from bench.twilio_stub import StubTwilio
from centre import jobs, messaging
from centre.extensions import db
from centre.messaging import OutboundMessage
from ivr import driver
from tickets import services
from tickets.models import Recording

ROOT = Path(__file__).resolve().parent.parent
MESSAGES_URL = f"https://api.twilio.com/2010-04-01/Accounts/{TWILIO_SID}/Messages.json"
SENDER = "+33700000000"
NUMBER = "+33612345678"
ACCEPTED = {"sid": "SM" + "3" * 32, "status": "queued"}


@pytest.fixture
def queued_app(app, make_app, redis_config):  # type: ignore[no-untyped-def]
    """Return an app whose jobs go through Redis, with Twilio credentials and a sender."""
    return make_app(
        **redis_config,
        JOBS_URL=TEST_REDIS_URL,
        TWILIO_ACCOUNT_SID=TWILIO_SID,
        TWILIO_SMS_FROM=SENDER,
        TWILIO_CALLER_ID=SENDER,
        PUBLIC_URL=PUBLIC_URL,
    )


@pytest.fixture
def twilio():  # type: ignore[no-untyped-def]
    """Answer the app's HTTP calls to Twilio with `responses`."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def posted(mock) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    """Return the forms POSTed to Twilio."""
    from urllib.parse import parse_qs

    return [
        {k: v[0] for k, v in parse_qs(c.request.body).items()}
        for c in mock.calls
        if c.request.method == "POST"
    ]


def text_committed(app, body: str = "Votre rappel est confirmé") -> int:  # type: ignore[no-untyped-def]
    """Write an SMS to NUMBER in a transaction that commits; return its outbox id."""
    with app.app_context():
        message = messaging.send_sms(NUMBER, body, "fr", "test")
        db.session.commit()
        return message.id


def row(app, message_id: int) -> OutboundMessage:  # type: ignore[no-untyped-def]
    with app.app_context():
        message = db.session.get(OutboundMessage, message_id)
        db.session.expunge_all()
        return message


def test_a_message_written_in_a_rolled_back_transaction_is_never_sent(queued_app, twilio):
    twilio.post(MESSAGES_URL, status=201, json=ACCEPTED)
    with queued_app.app_context():
        message = messaging.send_sms(NUMBER, "Votre rappel", "fr", "test")
        message_id = message.id
        db.session.rollback()
        assert jobs.queue_depth() == jobs.QueueDepth(0, 0)  # nothing was enqueued
        # Even a job naming the row (a wake-up sent before the rollback) finds nothing to send.
        jobs.enqueue(messaging.send_message, message_id)
        assert jobs.run_ready() == 1
        assert db.session.get(OutboundMessage, message_id) is None
    assert posted(twilio) == []


def test_a_committed_message_waits_in_redis_for_a_worker_and_goes_out_once(queued_app, twilio):
    twilio.post(MESSAGES_URL, status=201, json=ACCEPTED)
    message_id = text_committed(queued_app)
    assert row(queued_app, message_id).status == "queued"
    assert posted(twilio) == []  # the web process only enqueued it
    with queued_app.app_context():
        assert jobs.queue_depth() == jobs.QueueDepth(1, 0)
        jobs.enqueue(messaging.send_message, message_id)  # a duplicate wake-up
        assert jobs.run_ready() == 2
    (form,) = posted(twilio)
    assert form["To"] == NUMBER and form["From"] == SENDER
    assert form["StatusCallback"] == f"{PUBLIC_URL}/ivr/outbox/{message_id}/status"
    sent = row(queued_app, message_id)
    assert (sent.status, sent.provider_sid, sent.attempts) == ("sent", ACCEPTED["sid"], 1)


def test_errors_worth_retrying_back_off_doubling_then_the_message_goes_out(
    queued_app, twilio, time_machine
):
    time_machine.move_to("2026-12-01T10:00:00+00:00", tick=False)
    twilio.post(MESSAGES_URL, status=503, json={"code": 20503, "message": "Service unavailable"})
    twilio.post(MESSAGES_URL, status=429, json={"code": 20429, "message": "Too many requests"})
    twilio.post(MESSAGES_URL, status=201, json=ACCEPTED)
    message_id = text_committed(queued_app)
    with queued_app.app_context():
        assert jobs.run_ready() == 1
        first = row(queued_app, message_id)
        assert (first.status, first.attempts, first.error_code) == ("queued", 1, "20503")
        assert first.next_attempt_at == datetime(2026, 12, 1, 10, 0, 30)
        assert jobs.queue_depth() == jobs.QueueDepth(0, 1)  # scheduled, not waiting
        time_machine.move_to("2026-12-01T10:00:29+00:00", tick=False)
        assert jobs.run_ready() == 0 and len(posted(twilio)) == 1
        time_machine.move_to("2026-12-01T10:00:30+00:00", tick=False)
        assert jobs.run_ready() == 1 and len(posted(twilio)) == 2
        second = row(queued_app, message_id)
        assert second.next_attempt_at == datetime(2026, 12, 1, 10, 1, 30)  # 60 s: doubled
        time_machine.move_to("2026-12-01T10:01:30+00:00", tick=False)
        assert jobs.run_ready() == 1
    done = row(queued_app, message_id)
    assert (done.status, done.attempts, len(posted(twilio))) == ("sent", 3, 3)


def test_a_message_still_failing_after_the_last_attempt_is_failed(queued_app, twilio, time_machine):
    queued_app.config["OUTBOX_MAX_ATTEMPTS"] = 2
    time_machine.move_to("2026-12-01T10:00:00+00:00", tick=False)
    twilio.post(MESSAGES_URL, status=500, json={"code": 20500, "message": "Internal error"})
    message_id = text_committed(queued_app)
    with queued_app.app_context():
        jobs.run_ready()
        time_machine.move_to("2026-12-01T10:00:30+00:00", tick=False)
        jobs.run_ready()
        assert jobs.queue_depth() == jobs.QueueDepth(0, 0)
    failed = row(queued_app, message_id)
    assert (failed.status, failed.attempts, failed.error_code) == ("failed", 2, "20500")


def report(client, message_id: int, **form: str):  # type: ignore[no-untyped-def]
    """Post a delivery report for `message_id` signed as Twilio signs it."""
    url = f"http://localhost/ivr/outbox/{message_id}/status"
    fields = {"AccountSid": TWILIO_SID, **form}
    return client.post(
        url, data=fields, headers={"X-Twilio-Signature": driver.sign(TOKEN, url, fields)}
    )


def test_a_delivery_report_marks_the_message_delivered_and_a_late_one_changes_nothing(
    queued_app, twilio
):
    twilio.post(MESSAGES_URL, status=201, json=ACCEPTED)
    message_id = text_committed(queued_app)
    with queued_app.app_context():
        jobs.run_ready()
    client = queued_app.test_client()
    sid = ACCEPTED["sid"]
    assert report(client, message_id, MessageSid=sid, MessageStatus="sent").status_code == 200
    assert report(client, message_id, MessageSid=sid, MessageStatus="delivered").status_code == 200
    assert report(client, message_id, MessageSid=sid, MessageStatus="sent").status_code == 200
    delivered = row(queued_app, message_id)
    assert (delivered.status, delivered.provider_status) == ("delivered", "delivered")
    # Unsigned, or signed for another message's sid: refused or ignored.
    url = f"http://localhost/ivr/outbox/{message_id}/status"
    assert client.post(url, data={"MessageStatus": "failed"}).status_code == 403
    report(client, message_id, MessageSid="SM" + "9" * 32, MessageStatus="failed")
    report(client, 999999, MessageSid=sid, MessageStatus="failed")
    assert row(queued_app, message_id).status == "delivered"


def test_an_undelivered_report_keeps_twilios_error_code(queued_app, twilio):
    twilio.post(MESSAGES_URL, status=201, json=ACCEPTED)
    message_id = text_committed(queued_app)
    with queued_app.app_context():
        jobs.run_ready()
    client = queued_app.test_client()
    report(
        client,
        message_id,
        MessageSid=ACCEPTED["sid"],
        MessageStatus="undelivered",
        ErrorCode="30003",
    )
    undelivered = row(queued_app, message_id)
    assert (undelivered.status, undelivered.error_code) == ("undelivered", "30003")


def test_a_call_report_of_no_answer_marks_the_call_undelivered(queued_app, twilio):
    calls_url = MESSAGES_URL.replace("Messages.json", "Calls.json")
    twilio.post(calls_url, status=201, json={"sid": "CA" + "4" * 32, "status": "queued"})
    with queued_app.test_request_context():
        call = messaging.place_call(
            NUMBER, f"{PUBLIC_URL}/ivr/desk/bridge?a=1", "fr", "callback", "callback for a ticket"
        )
        db.session.commit()
        message_id = call.id
        jobs.run_ready()
    (form,) = posted(twilio)
    assert form["Url"] == f"{PUBLIC_URL}/ivr/desk/bridge?a=1" and form["StatusCallbackEvent"]
    report(queued_app.test_client(), message_id, CallSid="CA" + "4" * 32, CallStatus="no-answer")
    assert row(queued_app, message_id).status == "undelivered"


def test_a_lost_wake_up_is_enqueued_again_by_the_sweep(queued_app, twilio, time_machine):
    time_machine.move_to("2026-12-01T10:00:00+00:00", tick=False)
    twilio.post(MESSAGES_URL, status=201, json=ACCEPTED)
    message_id = text_committed(queued_app)
    with queued_app.app_context():
        jobs.huey.flush()  # the broker lost the job (a restart without persistence)
        assert messaging.sweep()["requeued"] == 0  # too young: its wake-up may still come
        time_machine.move_to("2026-12-01T10:01:00+00:00", tick=False)
        assert messaging.sweep()["requeued"] == 1
        jobs.run_ready()
    assert row(queued_app, message_id).status == "sent" and len(posted(twilio)) == 1


# --- a real worker process, killed with SIGKILL between taking the job and recording it -------


def _worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    flask = Path(sys.executable).with_name("flask")
    with log.open("ab") as output:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(  # noqa: S603 (our own flask, our own arguments)
            [str(flask), "--app", "app", "jobs", "run", "--workers", "2"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def _wait_for(predicate, seconds: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"waited {seconds} s for {what}")


@pytest.mark.parametrize(
    ("stub_mode", "list_fails", "outcome", "kept"),
    [
        ("hold", False, "sent", 1),  # Twilio had it: the sweep finds it, nothing is sent again
        ("swallow", False, "sent", 1),  # it never reached Twilio: sent again, once
        ("hold", True, "check", 1),  # Twilio cannot be asked: a person checks
    ],
    ids=["reached-twilio", "never-reached", "cannot-tell"],
)
def test_a_worker_killed_mid_send_is_restarted_and_the_message_goes_out_once(
    queued_app, redis_config, database_url, tmp_path, stub_mode, list_fails, outcome, kept
):
    stub = StubTwilio().start()
    stub.mode = stub_mode
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("TEST_")},
        "APP_ENV": "development",
        "DATABASE_URL": database_url,
        "JOBS_URL": TEST_REDIS_URL,
        "REDIS_URL": TEST_REDIS_URL,
        "REDIS_PREFIX": redis_config["REDIS_PREFIX"],
        "TWILIO_ACCOUNT_SID": TWILIO_SID,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "TWILIO_SMS_FROM": SENDER,
        "TWILIO_API_URL": stub.origin,
        "PUBLIC_URL": PUBLIC_URL,
        "SMS_PER_SECOND": "0",
        "OUTBOX_CHECK_AFTER_SECONDS": "1",
        "LOG_LEVEL": "INFO",
        "SECRET_KEY": "test-secret",
        "PHONE_HASH_KEY": "test-phone-key",
    }
    log = tmp_path / "worker.log"
    try:
        message_id = text_committed(queued_app)
        first = _worker(env, log)
        _wait_for(stub.arrived.is_set, 30, "the worker to call Twilio")
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        left = row(queued_app, message_id)
        assert (left.status, left.provider_sid) == ("sending", None)
        time.sleep(1.2)  # the claim is now older than OUTBOX_CHECK_AFTER_SECONDS
        stub.mode, stub.list_fails = "accept", list_fails
        stub.released.set()
        second = _worker(env, log)
        try:
            _wait_for(
                lambda: row(queued_app, message_id).status == outcome,
                40,
                f"the restarted worker to settle the message as {outcome}",
            )
            time.sleep(0.5)  # nothing more happens
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(20)
        settled = row(queued_app, message_id)
        assert settled.status == outcome and stub.count() == kept
        if outcome == "sent":
            assert settled.provider_sid == stub.kept[0]["sid"]
        text = log.read_text()
        assert NUMBER not in text and "outbox sweep" in text  # it logs like the app: masked
    finally:
        stub.stop()


# --- the scheduler -----------------------------------------------------------------------------


def test_the_nightly_purge_of_recordings_runs_on_its_own(queued_app, time_machine):
    queued_app.config["TWILIO_ACCOUNT_SID"] = ""  # the deletion at Twilio is only recorded
    with queued_app.app_context():
        time_machine.move_to(local("2026-12-04T02:29") - timedelta(days=100), tick=False)
        ticket = services.open_ticket("complaint", "fr", CALLER, "test-phone-key")
        db.session.flush()
        services.attach_recording(ticket.id, "REold", "https://api.twilio.com/x/REold", 5)
        db.session.commit()
    # 02:30 in Casablanca: the purge's time. The consumer's scheduler checks the schedule as it
    # starts, then each minute; nobody calls the purge.
    time_machine.move_to(local("2026-12-04T02:30:05"), tick=True)
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    consumer = jobs.huey.create_consumer(workers=1, periodic=True, worker_type="thread")
    consumer.start()
    try:
        with queued_app.app_context():
            _wait_for(
                lambda: (
                    db.session.scalar(
                        sa.select(Recording.url).execution_options(populate_existing=True)
                    )
                    == ""
                    or db.session.rollback()
                ),
                20,
                "the scheduler to purge the old recording",
            )
    finally:
        consumer.stop(graceful=True)
        for number, handler in handlers.items():
            signal.signal(number, handler)
    with queued_app.app_context():
        assert [e.name for e in jobs.due_entries(queued_app, local("2026-12-04T02:30"))] == [
            "outbox-sweep",
            "purge-recordings",
            "release-departed-agents",
        ]


def test_one_number_sends_no_faster_than_its_rate_across_workers(queued_app, twilio, time_machine):
    queued_app.config["SMS_PER_SECOND"] = 1
    time_machine.move_to("2026-12-01T10:00:00+00:00", tick=False)
    twilio.post(MESSAGES_URL, status=201, json=ACCEPTED)
    first, second = text_committed(queued_app, "un"), text_committed(queued_app, "deux")
    with queued_app.app_context():
        jobs.run_ready()  # the second waits for a turn that does not come in this second
        assert [row(queued_app, m).status for m in (first, second)] == ["sent", "queued"]
        assert len(posted(twilio)) == 1 and jobs.queue_depth() == jobs.QueueDepth(0, 1)
        time_machine.move_to("2026-12-01T10:00:01+00:00", tick=False)
        assert jobs.run_ready() == 1
    assert row(queued_app, second).status == "sent" and len(posted(twilio)) == 2


def test_the_daily_holiday_load_brings_next_years_holidays_once(app, time_machine):
    from centre.calendar import Holiday
    from staff.models import AuditEntry

    time_machine.move_to(local("2027-06-01T04:00"), tick=False)
    with app.app_context():
        assert "load-holidays" in [e.name for e in jobs.due_entries(app, local("2027-06-01T04:00"))]

        def of_2028() -> int:
            return db.session.scalar(
                sa.select(sa.func.count()).where(Holiday.day >= datetime(2028, 1, 1).date())
            )

        assert of_2028() == 0
        jobs.enqueue(jobs.run_scheduled, "load-holidays")  # the suite runs jobs in place
        loaded = of_2028()
        assert loaded >= 10  # Morocco's fixed and Islamic holidays of 2028
        jobs.enqueue(jobs.run_scheduled, "load-holidays")
        assert of_2028() == loaded
        actions = db.session.scalars(
            sa.select(AuditEntry.action).where(AuditEntry.action == "centre.holidays_loaded")
        ).all()
        assert actions == ["centre.holidays_loaded"]
