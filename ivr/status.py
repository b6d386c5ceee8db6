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

from flask import Blueprint, Flask, Response, request
from twilio.twiml.voice_response import VoiceResponse
from werkzeug.exceptions import HTTPException

from centre import messaging
from centre.extensions import csrf, db
from ivr.signature import require_twilio_signature
from ivr.twiml import twiml

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
        known = messaging.record_report(message_id, reported[:20], sid[:64],
                                        (form.get("ErrorCode") or "")[:10])  # fmt: skip
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    if not known:
        log.warning("a delivery report for outbox message %s matched no message", message_id)
    return twiml(VoiceResponse())


def init_app(app: Flask) -> None:
    """Register the reports' route and tell the outbox where Twilio should post them."""
    app.register_blueprint(bp)
    messaging.register_status_path(app, PATH)
