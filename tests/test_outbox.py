"""SMS through Twilio's REST API: handed over only once the step that sent them has committed."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import parse_qs

import pytest
import requests
import sqlalchemy as sa
from conftest import TWILIO_SID
from helpers import walk_to_main_menu

from centre.extensions import db
from centre.messaging import OutboundMessage
from ivr import flow
from tickets.models import Ticket

MESSAGES_URL = f"https://api.twilio.com/2010-04-01/Accounts/{TWILIO_SID}/Messages.json"
SENDER = "+33700000000"


@pytest.fixture
def sms_api(app, twilio_api):  # type: ignore[no-untyped-def]
    """Let the app send SMS from SENDER, and have Twilio's Messages API accept them."""
    app.config["TWILIO_SMS_FROM"] = SENDER
    twilio_api.post(MESSAGES_URL, status=201, json={"sid": "SM" + "2" * 32, "status": "queued"})
    return twilio_api


def book_callback(phone) -> None:  # type: ignore[no-untyped-def]
    """Walk to the callback offer (the centre is closed) and accept it."""
    walk_to_main_menu(phone, "fr")
    phone.press("0")
    phone.press("1")


def outbox(app) -> list[OutboundMessage]:  # type: ignore[no-untyped-def]
    with app.app_context():
        return list(db.session.scalars(sa.select(OutboundMessage).order_by(OutboundMessage.id)))


def test_a_booked_callback_is_confirmed_through_twilio_once_the_step_has_committed(
    app, call, closed_hours, sms_api
):
    book_callback(call())
    (post,) = [c for c in sms_api.calls if c.request.method == "POST"]
    form = parse_qs(post.request.body)
    assert form["To"] == ["+33612345678"] and form["From"] == [SENDER]
    (message,) = outbox(app)
    assert (message.status, message.provider_sid) == ("sent", "SM" + "2" * 32)
    with app.app_context():
        reference = db.session.scalar(sa.select(Ticket.reference))
    assert reference in form["Body"][0] and message.body == form["Body"][0]


def test_a_step_that_rolls_back_sends_nothing(app, call, closed_hours, sms_api, monkeypatch):
    phone = call()
    walk_to_main_menu(phone, "fr")
    phone.press("0")

    def fail_when_saving(*args: object) -> None:
        raise RuntimeError("injected once the callback was booked and its SMS queued")

    monkeypatch.setattr(flow.state, "save", fail_when_saving)
    turn = phone.press("1")  # books, queues the SMS, then fails: the step rolls back
    assert turn.dial == app.config["FALLBACK_AGENT_NUMBER"]
    assert not [c for c in sms_api.calls if c.request.method == "POST"]
    assert outbox(app) == []
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 0


def test_twilio_refusing_the_number_leaves_the_booking_and_a_failed_message(
    app, call, closed_hours, twilio_api
):
    app.config["TWILIO_SMS_FROM"] = SENDER
    twilio_api.post(
        MESSAGES_URL, status=400, json={"code": 21211, "message": "Invalid 'To' Phone Number"}
    )
    phone = call()
    walk_to_main_menu(phone, "fr")
    phone.press("0")
    turn = phone.press("1")
    assert turn.hangup and "rappellera" in turn.text  # the caller hears their callback time
    (message,) = outbox(app)
    assert (message.status, message.error_code, message.attempts) == ("failed", "21211", 1)
    assert message.error and "+336" not in message.error
    with app.app_context():
        assert db.session.scalar(sa.select(Ticket.type)) == "callback"


def test_twilio_unreachable_leaves_the_message_queued_for_a_later_attempt(
    app, call, closed_hours, twilio_api
):
    app.config["TWILIO_SMS_FROM"] = SENDER
    twilio_api.post(MESSAGES_URL, body=requests.ConnectionError("api.twilio.com unreachable"))
    phone = call()
    walk_to_main_menu(phone, "fr")
    phone.press("0")
    turn = phone.press("1")
    assert turn.hangup and "rappellera" in turn.text
    (message,) = outbox(app)
    assert (message.status, message.attempts) == ("queued", 1)
    # closed_hours froze the clock at 11:00:00 UTC; the first retry waits 30 seconds.
    assert message.next_attempt_at == datetime(2026, 12, 5, 11, 0, 30)
    assert message.error and "+336" not in message.error
