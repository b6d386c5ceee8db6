"""Twilio's Messaging webhook: the texts callers send to the centre's number (survey replies).

Configure the number's "A message comes in" webhook as POST `/ivr/sms` on PUBLIC_URL. Signed
like every Twilio route (a bad signature: 403, nothing read, nothing written) and exempt from
CSRF. The reply is read by the ticket store (`tickets.survey.receive_reply`); whatever is
texted back goes through the outbox, so the TwiML answer is always empty.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, request
from twilio.twiml.messaging_response import MessagingResponse
from werkzeug.exceptions import HTTPException

from centre import phones
from centre.extensions import csrf, db
from ivr.signature import require_twilio_signature
from ivr.twiml import answer_in_time, twiml
from tickets import survey

log = logging.getLogger(__name__)

bp = Blueprint("inbound_sms", __name__, url_prefix="/ivr/sms")
csrf.exempt(bp)
bp.before_request(require_twilio_signature)
bp.before_request(answer_in_time)


@bp.errorhandler(HTTPException)
def refused(error: HTTPException) -> HTTPException:
    """Refuse an unsigned or oversized request plainly: no staff page for what is not Twilio."""
    return error


@bp.post("")
def inbound() -> Response:
    """Read one text a caller sent: a survey answer, a STOP or START, or something else."""
    number = phones.normalise(request.form.get("From"))
    if number is None:
        return twiml(MessagingResponse())
    try:
        body = request.form.get("Body", "")
        # Twilio's Advanced Opt-Out recognised a stop or a start, in whatever words.
        opt_out_type = request.form.get("OptOutType")
        if opt_out_type in ("STOP", "START"):
            body = opt_out_type
        outcome = survey.receive_reply(number, body)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    log.info("text from %s: %s", phones.mask(number), outcome)
    return twiml(MessagingResponse())
