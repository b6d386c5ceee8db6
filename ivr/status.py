"""Twilio's delivery reports for the outbox: `StatusCallback` of every SMS and outbound call.

Each message is sent with `StatusCallback` set to `/ivr/outbox/<id>/status` on PUBLIC_URL;
Twilio posts there as the message is queued, sent, delivered, undelivered or failed (a call:
initiated, ringing, answered, completed, busy, no answer, failed), with `ErrorCode` when it
failed. Signed like every Twilio route and exempt from CSRF; the outbox decides what a report
changes (`centre.messaging.record_report`). Answered, like every webhook, with TwiML
(empty: Twilio reads nothing in it); a report naming no known message is logged and ignored.
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qs, urlsplit

from flask import Blueprint, Flask, Response, request
from twilio.twiml.voice_response import VoiceResponse
from werkzeug.exceptions import HTTPException

from centre import messaging
from centre.extensions import csrf, db
from ivr import state
from ivr.signature import require_twilio_signature
from ivr.twiml import twiml
from tickets.models import Ticket

log = logging.getLogger(__name__)

bp = Blueprint("outbox_status", __name__, url_prefix="/ivr/outbox")
csrf.exempt(bp)
bp.before_request(require_twilio_signature)
PATH = "/ivr/outbox/{}/status"


@bp.errorhandler(HTTPException)
def refused(error: HTTPException) -> HTTPException:
    """Refuse an unsigned or unknown report plainly: no staff page for what is not Twilio."""
    return error


@bp.post("/<int:message_id>/status")
def report(message_id: int) -> Response:
    """Apply one delivery report to the outbox row it names."""
    form = request.form
    reported = form.get("MessageStatus") or form.get("SmsStatus") or form.get("CallStatus") or ""
    sid = form.get("MessageSid") or form.get("SmsSid") or form.get("CallSid") or ""
    try:
        known = messaging.record_report(
            message_id, reported[:20], sid[:64], (form.get("ErrorCode") or "")[:10]
        )
        if known and messaging.CALL_STATUSES.get(reported.lower()) in (
            messaging.UNDELIVERED,
            messaging.FAILED,
        ):
            _release_unanswered_take(message_id)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    if not known:
        log.warning("a delivery report for outbox message %s matched no message", message_id)
    return twiml(VoiceResponse())


def _release_unanswered_take(message_id: int) -> None:
    """The agent's phone was busy, not answered or failed: their caller waits for anyone again."""
    message = db.session.get(messaging.OutboundMessage, message_id)
    if message is None or message.purpose != "queued_call" or not message.url:
        return
    query = parse_qs(urlsplit(message.url).query)
    try:
        ticket_id, agent_id = int(query["t"][0]), int(query["a"][0])
    except (KeyError, ValueError):
        return
    ticket = db.session.get(Ticket, ticket_id)
    if ticket is not None and ticket.call_sid:
        state.release_take(ticket.call_sid, agent_id)


def init_app(app: Flask) -> None:
    """Register the reports' route and tell the outbox where Twilio should post them."""
    app.register_blueprint(bp)
    messaging.register_status_path(app, PATH)
