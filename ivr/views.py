"""Twilio Voice webhooks: read the request, move the call one step, answer TwiML."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from functools import wraps
from urllib.parse import parse_qs, urlsplit

from flask import Blueprint, current_app, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import force_locale, gettext
from sqlalchemy.exc import IntegrityError
from twilio.twiml.voice_response import VoiceResponse
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import HTTPException

from centre import languages, phones
from centre.clock import now, to_storage
from centre.context import this_app, this_request
from centre.extensions import csrf, db
from centre.formatting import spoken_number
from centre.transactions import reads_outside_transactions
from ivr import state
from ivr.flow import Reply, Step, arrive, render_current, take
from ivr.signature import require_twilio_signature, signed
from ivr.twiml import answer_in_time, say, twiml
from tickets.models import Ticket
from tickets.services import attach_call_recording, attach_recording, attach_transcript

log = logging.getLogger(__name__)
bp = Blueprint("ivr", __name__, url_prefix="/ivr")
csrf.exempt(bp)
bp.before_request(require_twilio_signature)
bp.before_request(answer_in_time)

DIGIT_CHARS = set("0123456789*#")
CALLBACK_KEY = "1"  # on the wait page: leave the queue for a callback

# C0 control characters but tab and newlines: no carrier sends them, PostgreSQL refuses NUL.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


@bp.before_request
def clean_form() -> None:
    """Once the signature is checked, strip control characters from every field Twilio sent."""
    request = this_request()
    form = request.form
    # One search over every value, joined by a newline (which the pattern lets through).
    if _CONTROL.search("\n".join([value for _, value in form.items(multi=True)])):
        request.form = ImmutableMultiDict(
            [(key, _CONTROL.sub("", value)) for key, value in form.items(multi=True)]
        )


def apology(language_code: str | None = None) -> VoiceResponse:
    """Apologise in the caller's language and put them through to a person if one is set."""
    language = languages.get(language_code or _language_hint())
    response = VoiceResponse()
    fallback = current_app.config["FALLBACK_AGENT_NUMBER"]
    with force_locale(language.code):
        say(response, gettext("We are sorry, a technical problem has occurred."), language)
        if fallback:
            say(response, gettext("Please hold, we are putting you through to an agent."), language)
            response.dial(fallback)
        else:
            say(response, gettext("Please call us again in a few minutes."), language)
            response.hangup()
    return response


def _language_hint() -> str | None:
    """Guess the caller's language without the database: the URL, then the dialled country."""
    if request.args.get("l") in languages.BY_CODE:
        return request.args["l"]
    if not signed():  # an error handler must never parse a refused body (a second 413: a 500)
        return None
    return languages.COUNTRY_LANGUAGE.get(phones.country(request.form.get("To")) or "")


def answered_with(
    failed: Callable[[], VoiceResponse], replayed: Callable[[], VoiceResponse] | None = None
) -> Callable[[Callable[..., VoiceResponse]], Callable[..., ResponseReturnValue]]:
    """Wrap a Twilio webhook: one transaction, always TwiML (`failed()` when it fails), no 5xx.

    `replayed` answers a step another worker took first (a replayed or duplicated webhook);
    without it, that is a failure like any other.
    """

    def decorate(view: Callable[..., VoiceResponse]) -> Callable[..., ResponseReturnValue]:
        @wraps(view)
        def wrapper(*args: object, **kwargs: object) -> ResponseReturnValue:
            try:
                with reads_outside_transactions():
                    response = view(*args, **kwargs)
                db.session.commit()
            except (state.CallMoved, IntegrityError):
                db.session.rollback()
                if replayed is None:
                    log.exception("webhook %s failed", request.path)
                    response = failed()
                else:
                    response = replayed()
            except Exception:
                db.session.rollback()
                log.exception("webhook %s failed", request.path)
                response = failed()
            return twiml(response)

        return wrapper

    return decorate


def hang_up() -> VoiceResponse:
    """End the call: what an agent's call leg does when the desk cannot say anything useful."""
    response = VoiceResponse()
    response.hangup()
    return response


def webhook(view: Callable[..., VoiceResponse]) -> Callable[..., ResponseReturnValue]:
    """Run a caller's step in one transaction; a replay re-renders, a failure apologises."""
    return answered_with(apology, replayed=_replay)(view)


def agent_webhook(view: Callable[..., VoiceResponse]) -> Callable[..., ResponseReturnValue]:
    """Run a webhook of the desk's call to an agent in one transaction; a failure hangs up."""
    return answered_with(hang_up)(view)


def _route(
    rule: str,
) -> Callable[[Callable[..., ResponseReturnValue]], Callable[..., ResponseReturnValue]]:
    """Declare a webhook URL: POST only, and never a redirect (no merging of double slashes)."""
    return bp.post(rule, merge_slashes=False)


def _replay() -> VoiceResponse:
    try:
        call = state.load(request.form.get("CallSid", ""))
        if call is None:
            return apology()
        step = Step(call)
        render_current(step)
        return step.response
    except Exception:
        db.session.rollback()
        log.exception("replaying %s failed", request.path)
        return apology()


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException) -> ResponseReturnValue:
    """Refuse unsigned or oversized requests plainly; answer any other error with spoken TwiML."""
    if error.code in (403, 405, 413):
        return error
    log.warning("webhook %s answered %s", request.path, error.code)
    return twiml(apology())


@bp.errorhandler(Exception)
def unexpected_error(error: Exception) -> ResponseReturnValue:
    """Last resort for anything that escaped a webhook: still valid TwiML, never a 500 page."""
    log.exception("webhook %s failed outside its step", request.path)
    try:
        db.session.rollback()
        return twiml(apology())
    except Exception:
        log.exception("the apology itself failed")
        response = VoiceResponse()
        fallback = current_app.config.get("FALLBACK_AGENT_NUMBER")
        if fallback:
            response.dial(fallback)
        else:
            response.hangup()
        return twiml(response)


def _reply() -> Reply:
    form = this_request().form
    digits = "".join(c for c in form.get("Digits", "")[:20] if c in DIGIT_CHARS)
    speech = form.get("SpeechResult", "")[:300].strip()
    try:
        confidence = float(form.get("Confidence", "0"))
    except ValueError:
        confidence = 0.0
    if confidence < this_app().config["SPEECH_CONFIDENCE_MIN"]:
        speech = ""
    return Reply(digits=digits, speech=speech, params=form)


def _answer() -> VoiceResponse:
    call_sid = request.form.get("CallSid", "")[:64]
    if not call_sid:
        return apology()
    call = state.start(call_sid)  # or the call's row, if Twilio sent this twice
    step = Step(call)
    render_current(step)
    log.info("call %s from %s to %s", call.id, call.caller_masked, call.country or "?")
    return step.response


@_route("/voice")
@webhook
def voice() -> VoiceResponse:
    """Answer a new call (the Voice URL of every number) with the language menu."""
    return _answer()


@_route("/step")
@webhook
def step() -> VoiceResponse:
    """Move the call on with the caller's answer to the prompt that carried this URL."""
    request = this_request()
    call_sid = request.form.get("CallSid", "")[:64]
    call = state.load(call_sid) if call_sid else None
    if call is None:
        return _answer()  # a call we have no row for starts afresh
    current = Step(call)
    if request.args.get("s", type=int) != call.step:
        render_current(current)  # a replay of an earlier step: say where the call stands
        return current.response
    arrive(current, take(current, _reply()))
    return current.response


@_route("/queue/wait")
@webhook
def queue_wait() -> VoiceResponse:
    """Tell a queued caller their position and offer a callback that keeps their place."""
    language = languages.get(request.args.get("l"))
    position = request.form.get("QueuePosition", type=int) or 1
    waited = request.form.get("QueueTime", type=int) or 0
    response = VoiceResponse()
    with force_locale(language.code):
        gather = response.gather(
            num_digits=1,
            timeout=2,
            action=url_for("ivr.queue_choice", l=language.code),
            method="POST",
        )
        say(
            gather,
            gettext(
                "You are number %(position)s in the queue.",
                position=spoken_number(position, language.babel_locale),
            ),
            language,
        )
        if waited >= current_app.config["QUEUE_MAX_WAIT_SECONDS"]:
            say(gather, gettext("We are sorry you have been waiting so long."), language)
        say(
            gather,
            gettext(
                "To be called back instead, without losing your place, press %(key)s.",
                key=CALLBACK_KEY,
            ),
            language,
        )
        music = current_app.config["HOLD_MUSIC_URL"]
        if music:
            gather.play(music)
        else:
            gather.pause(length=20)
    response.redirect(url_for("ivr.queue_wait", l=language.code), method="POST")
    return response


@_route("/queue/choice")
@webhook
def queue_choice() -> VoiceResponse:
    """Leave the queue for a callback on 1; otherwise keep waiting."""
    language = languages.get(request.args.get("l"))
    response = VoiceResponse()
    if request.form.get("Digits") == CALLBACK_KEY:
        with force_locale(language.code):
            say(response, gettext("You keep your place. Let us book your callback."), language)
        response.leave()
    else:
        response.redirect(url_for("ivr.queue_wait", l=language.code), method="POST")
    return response


@_route("/recording")
@webhook
def recording() -> VoiceResponse:
    """Attach a finished recording to its ticket, once, however often Twilio reports it."""
    form = request.form
    ticket_id = request.args.get("t", type=int) or 0
    completed = form.get("RecordingStatus", "completed") == "completed"
    if completed and form.get("RecordingSid"):
        # One statement on PostgreSQL; the ORM below on SQLite.
        attached = attach_call_recording(
            ticket_id,
            form.get("CallSid", ""),
            form["RecordingSid"][:64],
            form.get("RecordingUrl", ""),
            form.get("RecordingDuration", type=int),
        )
        if attached is not None:
            if attached[0] is None:
                log.warning("recording callback for an unknown ticket")
            return VoiceResponse()
    ticket = db.session.get(Ticket, ticket_id)
    if ticket is None or ticket.call_sid != form.get("CallSid"):
        log.warning("recording callback for an unknown ticket")
        return VoiceResponse()
    if completed and form.get("RecordingSid"):
        attach_recording(
            ticket.id,
            form["RecordingSid"][:64],
            form.get("RecordingUrl", ""),
            form.get("RecordingDuration", type=int),
        )
    return VoiceResponse()


@_route("/transcription")
@webhook
def transcription() -> VoiceResponse:
    """Keep the transcript Twilio made of a recording, once it is ready."""
    form = request.form
    ticket = db.session.get(Ticket, request.args.get("t", type=int) or 0)
    if ticket is None or ticket.call_sid != form.get("CallSid"):
        log.warning("transcription callback for an unknown ticket")
        return VoiceResponse()
    if form.get("TranscriptionStatus") == "completed":
        attach_transcript(
            ticket.id,
            form.get("RecordingSid", "")[:64],
            form.get("RecordingUrl", ""),
            form.get("TranscriptionText", ""),
        )
    return VoiceResponse()


@_route("/status")
@webhook
def status() -> VoiceResponse:
    """Record how the call ended (once, whatever Twilio retries) for the reports."""
    form = request.form
    call = state.load(form.get("CallSid", "")[:64])
    if call is None or call.ended_at is not None:
        return VoiceResponse()
    moment = to_storage(now())
    call_status = form.get("CallStatus", "completed")[:20]
    in_queue = call.queue_entered_at is not None and call.queue_left_at is None
    if call_status != "completed":
        outcome = call_status
    elif in_queue or call.queue_result == "hangup":
        outcome = "abandoned"
    elif call.queue_entered_at is not None or call.context.get("callback_texted"):
        outcome = "escalated"
    else:
        outcome = "self_service"
    values = {
        "ended_at": moment,
        "status": call_status,
        "duration": form.get("CallDuration", type=int),
        "outcome": outcome,
    }
    if in_queue:
        values |= {"queue_left_at": moment, "queue_result": "hangup"}
    state.end(call, values)
    return VoiceResponse()


@_route("/fallback")
@webhook
def fallback() -> VoiceResponse:
    """Twilio's fallback URL: log the failure, apologise in the caller's language, offer a person."""
    error_url = request.form.get("ErrorUrl", "")
    parts = urlsplit(error_url)
    hint = parse_qs(parts.query).get("l", [None])[0]
    log.error(
        "Twilio reported error %s at %s", request.form.get("ErrorCode", "?")[:10], parts.path[:100]
    )
    return apology(hint if hint in languages.BY_CODE else None)
