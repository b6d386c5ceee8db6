"""Webhooks Twilio fetches when an agent answers the desk's call: bridge a callback, take a caller.

Signed like every Twilio route, exempt from CSRF, and always answered with TwiML.
"""

from __future__ import annotations

from flask import Blueprint, current_app, request
from flask_babel import force_locale, gettext
from twilio.twiml.voice_response import VoiceResponse
from werkzeug.exceptions import HTTPException

from centre import languages
from centre.extensions import csrf, db
from ivr.menus import queue_name
from ivr.signature import require_twilio_signature
from ivr.twiml import answer_in_time, say
from ivr.views import agent_webhook
from tickets import contact
from tickets.models import CallbackAttempt

bp = Blueprint("desk_voice", __name__, url_prefix="/ivr/desk")
csrf.exempt(bp)
bp.before_request(require_twilio_signature)
bp.before_request(answer_in_time)


@bp.errorhandler(HTTPException)
def refused(error: HTTPException) -> HTTPException:
    """Refuse an unsigned or oversized request plainly: no staff page for what is not Twilio."""
    return error


def _agent_language(attempt: CallbackAttempt | None, fallback: str | None) -> languages.Language:
    if attempt is not None and attempt.agent.locale:
        return languages.get(attempt.agent.locale)
    return languages.get(fallback)


@bp.post("/bridge")
@agent_webhook
def bridge() -> VoiceResponse:
    """The agent answered a call back (from any ticket with a number): say which, dial the caller."""
    response = VoiceResponse()
    attempt = db.session.get(CallbackAttempt, request.args.get("a", type=int) or 0)
    number = contact.caller_number(attempt.ticket) if attempt else None
    language = _agent_language(attempt, attempt.ticket.language if attempt else None)
    with force_locale(language.code):
        if attempt is None or number is None:
            say(response, gettext("This callback is no longer available."), language)
            response.hangup()
            return response
        say(response, gettext("Connecting you to the caller of ticket %(reference)s.",
                              reference=" ".join(attempt.ticket.reference)), language)  # fmt: skip
    caller_id = current_app.config["TWILIO_CALLER_ID"] or None
    response.dial(number, caller_id=caller_id)
    return response


@bp.post("/connect")
@agent_webhook
def connect() -> VoiceResponse:
    """The agent answered: put them through to the longest-waiting caller of the language."""
    language = languages.get(request.args.get("l"))
    response = VoiceResponse()
    with force_locale(language.code):
        say(response, gettext("Connecting you to the next caller."), language)
    dial = response.dial()
    dial.queue(queue_name(language.code))
    return response
