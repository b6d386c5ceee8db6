"""Webhooks Twilio fetches when an agent answers the desk's call: bridge a callback, take a caller.

Signed like every Twilio route, exempt from CSRF, and always answered with TwiML.
"""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, request
from flask_babel import force_locale, gettext
from twilio.twiml.voice_response import VoiceResponse
from werkzeug.exceptions import HTTPException

from centre import jobs, languages, messaging
from centre.extensions import csrf, db
from centre.urls import callback_url
from ivr import state
from ivr.menus import queue_name
from ivr.signature import require_twilio_signature
from ivr.twiml import answer_in_time, say
from ivr.views import agent_webhook
from tickets import contact
from tickets.models import CallbackAttempt, Ticket

log = logging.getLogger(__name__)

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
        say(
            response,
            gettext(
                "Connecting you to the caller of ticket %(reference)s.",
                reference=" ".join(attempt.ticket.reference),
            ),
            language,
        )
    caller_id = current_app.config["TWILIO_CALLER_ID"] or None
    response.dial(number, caller_id=caller_id)
    return response


def conference_name(ticket: Ticket) -> str:
    """Return the conference where an agent and the queued caller they took meet."""
    return f"desk-{ticket.id}"


@jobs.job()
def redirect_taken_caller(ticket_id: int, url: str) -> None:
    """Take the caller of `ticket_id` out of their language queue, to join their agent at `url`."""
    ticket = db.session.get(Ticket, ticket_id)
    call = state.load(ticket.call_sid) if ticket and ticket.call_sid else None
    if ticket is None or call is None or call.language is None:
        return
    if not messaging.redirect_queue_member(queue_name(call.language), call.call_sid, url):
        log.warning("the caller of ticket %s could not be taken out of the queue", ticket_id)


@bp.post("/connect")
@agent_webhook
def connect() -> VoiceResponse:
    """The agent answered: put them through to the caller they took (that one, by CallSid)."""
    ticket = db.session.get(Ticket, request.args.get("t", type=int) or 0)
    agent_id = request.args.get("a", type=int) or 0
    agent = ticket.assignee if ticket is not None and ticket.assignee_id == agent_id else None
    language = languages.get(agent.locale if agent and agent.locale else None)
    response = VoiceResponse()
    call = None
    if ticket is not None and ticket.call_sid and agent is not None:
        call = state.agent_answered(ticket.call_sid, agent.id)
    with force_locale(language.code):
        if ticket is None or call is None:
            say(response, gettext("This caller is no longer waiting."), language)
            response.hangup()
            return response
        say(
            response,
            gettext(
                "Connecting you to the caller of ticket %(reference)s.",
                reference=" ".join(ticket.reference),
            ),
            language,
        )
    dial = response.dial()
    dial.conference(
        conference_name(ticket),
        start_conference_on_enter=True,
        end_conference_on_exit=True,
        beep=False,
    )
    # The caller leaves the queue once the agent is on the line: never to wait for a phone
    # that may not be answered.
    jobs.enqueue(redirect_taken_caller, ticket.id, callback_url("desk_voice.join", t=ticket.id))
    return response


@bp.post("/join")
@agent_webhook
def join() -> VoiceResponse:
    """Twilio took the caller out of the queue for their agent: join the agent's conference."""
    ticket = db.session.get(Ticket, request.args.get("t", type=int) or 0)
    response = VoiceResponse()
    sid = request.form.get("CallSid", "")
    call = state.put_through(sid) if ticket is not None and ticket.call_sid == sid else None
    if ticket is None or call is None:
        response.hangup()
        return response
    language = languages.get(call.language)
    with force_locale(language.code):
        say(response, gettext("Connecting you to an agent."), language)
    dial = response.dial()
    dial.conference(
        conference_name(ticket),
        start_conference_on_enter=True,
        end_conference_on_exit=True,
        beep=False,
    )
    return response
