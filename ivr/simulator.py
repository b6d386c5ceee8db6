"""A page that plays Twilio in the browser: a phone whose keypad, queue and hang-up act as Twilio's.

It drives the real webhooks through the same driver as the tests, signing them with the
centre's Twilio token, so it acts only on what it started: the browser's signed session lists
the calls it dialled, and the state of a call (its id, the caller, the dialled number, the last
TwiML and the queue it waits in) travels in the form signed by the app, so any worker can serve
the next click and no visitor can make it sign a request for another call or another URL. It
never runs in production (settings.finish), whatever SIMULATOR_ENABLED says.

What Twilio does on its own, the page does too: it fetches the wait URL as soon as a call is
queued, posts the queue's action after `<Leave>`, sends the recording's status callback after
a message, and posts the status callback when the call ends (by `<Hangup>` or the hang-up
button), so no simulated call is left unfinished.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urljoin, urlsplit

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext
from itsdangerous import BadSignature, URLSafeSerializer

from centre import languages, phones
from centre.clock import now, to_storage
from centre.extensions import db
from centre.messaging import OutboundMessage
from ivr import sounds, state
from ivr.driver import STATUS_PATH, FlaskTransport, PhoneCall, Said, Turn, TwimlError, parse
from tickets import services

bp = Blueprint(
    "simulator",
    __name__,
    url_prefix="/try",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)

# One demo toll-free number per country (fictional numbers in each national plan).
DEMO_NUMBERS = {
    "FR": "+33805000000",
    "BE": "+3280000000",
    "NL": "+31800000000",
    "DE": "+498000000000",
    "ES": "+34900000000",
    "IT": "+39800000000",
    "GB": "+448000000000",
}
RECENT_TEXTS = timedelta(days=7)
ACTIONS = ("press", "speak", "silence", "record", "bridged", "hangup")
STARTED = "simulator_calls"  # the session key listing the calls this browser dialled
MAX_STARTED = 20
SOUNDS = {"hold": sounds.hold_music, "message": sounds.message}
# <Say language=...> of each language, to lay out each line in its own direction.
SPOKEN_IN = {language.say_language: language for language in languages.LANGUAGES}


@dataclass
class Progress:
    """What one click did: every turn the caller heard, in order, and whether the call ended."""

    turns: list[Turn] = field(default_factory=list)
    ended: bool = False
    recording: bool = False  # a message was sent

    @property
    def said(self) -> list[Said]:
        """Return every sentence heard since the click."""
        return [said for turn in self.turns for said in turn.said]

    @property
    def last(self) -> Turn | None:
        """Return the turn the call now waits on."""
        return self.turns[-1] if self.turns else None


@bp.get("/")
def start() -> str:
    """Show the dial form."""
    return render_template("ivr/simulator.html", turn=None, numbers=DEMO_NUMBERS, state={})


@bp.get("/sounds/<name>.wav")
def sound(name: str) -> Response:
    """Serve the hold music or the simulated caller's message."""
    if name not in SOUNDS:
        abort(404)
    return Response(
        SOUNDS[name](), mimetype="audio/wav", headers={"Cache-Control": "public, max-age=86400"}
    )


@bp.post("/")
def act() -> str | tuple[str, int]:
    """Dial, or send the caller's action to the pending prompt, and show what they hear."""
    form = request.form
    action = form.get("action", "dial")
    if action == "text":
        return _text_centre(form.get("caller", "")[:20], form.get("body", "")[:320])
    if action == "dial" or not form.get("turn"):
        return _dial(
            form.get("caller", "+33612345678")[:20], form.get("to", DEMO_NUMBERS["FR"])[:20]
        )
    if action not in ACTIONS:
        abort(400)
    restored = _restore(form["turn"])
    if (
        restored is None
        or restored["call"] != form.get("call_sid")
        or (restored["call"] not in _started())
    ):
        return render_template(
            "ivr/simulator.html",
            turn=None,
            numbers=DEMO_NUMBERS,
            state={},
            error=gettext("This page can only go on with a call it started itself: dial again."),
        ), 403
    phone = _phone(restored["caller"], restored["to"], restored["call"])
    phone.turn = parse(restored["url"], restored["xml"])
    phone.queue = json.loads(restored["queue"]) if restored["queue"] else None
    if phone.queue is not None:
        phone.queue_place = _place(phone)  # what Twilio would tell the wait URL now
    progress = Progress()
    error = None
    try:
        _perform(phone, action, form, progress)
    except TwimlError:
        error = gettext("The phone cannot do that at this point of the call.")
    if not progress.turns and not progress.ended:
        progress.turns.append(phone.turn)  # nothing new was said: the prompt still stands
    return _page(phone, progress, error)


def _dial(caller: str, dialled: str) -> str:
    if phones.parse(caller) is None or phones.parse(dialled) is None:
        return render_template(
            "ivr/simulator.html",
            turn=None,
            numbers=DEMO_NUMBERS,
            state={},
            error=gettext("Enter numbers in international format, e.g. +33612345678."),
        )
    phone = _phone(caller, dialled, None)
    session[STARTED] = [*_started(), phone.call_sid][-MAX_STARTED:]
    progress = Progress()
    error = None
    try:
        _follow(phone, phone.dial(), progress)
    except TwimlError:
        error = gettext("The phone cannot do that at this point of the call.")
    return _page(phone, progress, error)


def _text_centre(caller: str, body: str) -> str:
    """Text the centre from the caller's number (a survey's answer, STOP), as Twilio posts it."""
    if phones.parse(caller) is None:
        return render_template(
            "ivr/simulator.html",
            turn=None,
            numbers=DEMO_NUMBERS,
            state={},
            error=gettext("Enter numbers in international format, e.g. +33612345678."),
        )
    if body.strip():
        _phone(caller, DEMO_NUMBERS["FR"], None).text(body)
    return render_template(
        "ivr/simulator.html",
        turn=None,
        numbers=DEMO_NUMBERS,
        state={"caller": caller},
        texted=body.strip() or None,
        texts=_recent_texts(caller),
        show_texts=True,
    )


def _recent_texts(caller: str) -> list[dict[str, str]]:
    """Return the last texts the caller's number was sent in the past days, oldest first.

    After the call, the resolution's text and the survey come later: the page shows them
    when the person texts the centre back from that number.
    """
    db.session.rollback()  # read what the webhook just committed
    query = (
        sa.select(OutboundMessage)
        .where(
            OutboundMessage.channel == "sms",
            OutboundMessage.to_number == caller,
            OutboundMessage.created_at >= to_storage(now() - RECENT_TEXTS),
        )
        .order_by(OutboundMessage.created_at.desc(), OutboundMessage.id.desc())
        .limit(10)
    )
    return [_text_line(message) for message in reversed(list(db.session.scalars(query)))]


def _text_line(message: OutboundMessage) -> dict[str, str]:
    return {
        "body": message.body,
        "lang": message.language,
        "dir": languages.get(message.language).direction,
    }


def _phone(caller: str, dialled: str, call_sid: str | None) -> PhoneCall:
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # the proxy's own method
    return PhoneCall(
        FlaskTransport(app),
        app.config["TWILIO_AUTH_TOKEN"],
        caller=caller,
        to=dialled,
        call_sid=call_sid,
    )


def _perform(phone: PhoneCall, action: str, form: dict[str, str], progress: Progress) -> None:
    """Do what the caller asked, then what Twilio would do on its own after it."""
    if action == "hangup":
        _hang_up(phone, progress)
        return
    if action == "bridged":
        turn = phone.leave_queue("bridged", waited=_place(phone)[1])
    elif action == "record":
        turn = phone.leave_message(seconds=sounds.MESSAGE_SECONDS, url=_sound_url("message"))
        phone.recording_ready()
        # No Twilio behind the simulator: the app keeps the message's audio for the desk's player.
        # Committed at once, as Twilio's own callback would be: the page reads fresh snapshots
        # (it rolls its session back) before the request ends.
        services.keep_audio(phone.last_recording["RecordingSid"], sounds.message())
        db.session.commit()
        progress.recording = True
    elif action == "speak":
        turn = phone.speak(form.get("speech", "")[:300])
    elif action == "press":
        keys = (form.get("digits", "") + form.get("key", ""))[:40]
        if not keys or any(key not in "0123456789*#" for key in keys):
            raise TwimlError("keys only")
        turn = phone.press(keys)
    else:
        turn = phone.act("silence")
    _follow(phone, turn, progress)


def _follow(phone: PhoneCall, turn: Turn, progress: Progress) -> None:
    """Keep the turn, then act as Twilio does without the caller: queue, leave, end."""
    for _ in range(5):
        progress.turns.append(turn)
        if turn.enqueue is not None:
            phone.queue = turn.enqueue
            position, waited = _place(phone)
            turn = phone.hold(position, waited)  # Twilio fetches the wait URL at once
        elif turn.leave:
            turn = phone.left()
        elif turn.waiting_for in ("hangup", "nothing"):
            _hang_up(phone, progress)
            return
        else:
            return


def _place(phone: PhoneCall) -> tuple[int, int]:
    db.session.rollback()  # read what the webhooks just committed, not an older snapshot
    return state.queue_place(phone.call_sid) or (1, 0)


def _hang_up(phone: PhoneCall, progress: Progress) -> None:
    """End the call as Twilio does: the queue's action if it was queued, then the status callback."""
    db.session.rollback()
    if state.queue_place(phone.call_sid) is not None:
        phone.leave_queue("hangup", waited=_place(phone)[1])
    db.session.rollback()
    phone.hang_up("completed", duration=state.seconds_since_start(phone.call_sid) or 0)
    progress.ended = True


def _sound_url(name: str) -> str:
    return urljoin(request.host_url, url_for("simulator.sound", name=name))


def _page(phone: PhoneCall, progress: Progress, error: str | None) -> str:
    turn = progress.last or phone.turn
    fields = {"call_sid": phone.call_sid, "caller": phone.caller, "to": phone.to}
    queued = None if progress.ended else _queued(phone, turn)
    return render_template(
        "ivr/simulator.html",
        turn=turn,
        heard=[_line(said) for said in progress.said],
        ended=progress.ended,
        queued=queued,
        recording=progress.recording,
        listens=_listens(turn) if not progress.ended else "",
        keys=_keys(turn),
        texts=_texts(phone.caller, phone.call_sid),
        numbers=DEMO_NUMBERS,
        state=fields,
        error=error,
        turn_json="" if progress.ended else _store(phone, turn),
    )


def _line(said: Said) -> dict[str, str]:
    language = SPOKEN_IN.get(said.language, languages.DEFAULT)
    return {
        "text": said.text,
        "lang": language.code,
        "dir": language.direction,
        "voice": said.voice,
    }


def _listens(turn: Turn | None) -> str:
    """Return what the prompt takes: keys, keys or speech, a message, an agent, nothing."""
    if turn is None:
        return ""
    if turn.gather is not None:
        return "speech" if "speech" in turn.gather.get("input", "dtmf") else "keys"
    return turn.waiting_for


def _keys(turn: Turn | None) -> dict[str, str | int]:
    """Return how the keypad ends an entry, as Twilio's numDigits, finishOnKey and timeout."""
    gather = (turn.gather if turn else None) or {}
    return {
        "num_digits": int(gather.get("numDigits", "0") or 0),
        "finish_on_key": gather.get("finishOnKey", "#"),
        "timeout": int(gather.get("timeout", "5") or 5),
    }


def _queued(phone: PhoneCall, turn: Turn | None) -> tuple[int, int] | None:
    """Return (position, seconds waited) while the call waits in a queue."""
    if phone.queue is None or turn is None:
        return None
    db.session.rollback()
    return state.queue_place(phone.call_sid)


def _texts(caller: str, call_sid: str) -> list[dict[str, str]]:
    """Return the texts the caller's number was sent since the call began, from the outbox."""
    db.session.rollback()
    started = state.call_started_at(call_sid)
    if started is None:
        return []
    query = (
        sa.select(OutboundMessage)
        .where(
            OutboundMessage.channel == "sms",
            OutboundMessage.to_number == caller,
            OutboundMessage.created_at >= started,
        )
        .order_by(OutboundMessage.created_at, OutboundMessage.id)
    )
    return [_text_line(message) for message in db.session.scalars(query)]


def _started() -> list[str]:
    """Return the calls this browser dialled on the page (its signed session keeps them)."""
    started = session.get(STARTED)
    return [str(sid) for sid in started] if isinstance(started, list) else []


def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="simulator-turn")


STATE_KEYS = ("call", "caller", "to", "url", "xml", "queue")


def _store(phone: PhoneCall, turn: Turn | None) -> str:
    """Return the call's state for the next click, signed so that it comes back unchanged."""
    if turn is None or not _own_flow(turn, phone.queue):
        return ""
    state_ = {
        "call": phone.call_sid,
        "caller": phone.caller,
        "to": phone.to,
        "url": turn.url,
        "xml": turn.xml,
        "queue": json.dumps(phone.queue) if phone.queue else "",
    }
    return str(_signer().dumps(state_))


def _restore(raw: str) -> dict[str, str] | None:
    """Return the state the app signed for this call's last turn; None if it was changed."""
    try:
        signed = _signer().loads(raw)
        turn = parse(str(signed["url"]), str(signed["xml"]))
        queue = json.loads(signed["queue"]) if signed.get("queue") else None
    except (BadSignature, KeyError, TypeError, ValueError, TwimlError):
        return None
    if not isinstance(signed, dict) or not _own_flow(turn, queue):
        return None
    return {key: str(signed.get(key, "")) for key in STATE_KEYS}


def _own_flow(turn: Turn, queue: dict[str, str] | None = None) -> bool:
    """Tell whether every URL the turn may lead to is a step of the phone menu (not a callback)."""
    urls = [turn.url, turn.redirect]
    for verb in (turn.gather, turn.record, turn.enqueue, queue):
        urls += [(verb or {}).get(key) for key in ("action", "waitUrl", "recordingStatusCallback")]
    for url in filter(None, urls):
        parts = urlsplit(urljoin(FlaskTransport.base_url + "/", url))
        if parts.netloc != urlsplit(FlaskTransport.base_url).netloc:
            return False
        if not parts.path.startswith("/ivr/") or parts.path == STATUS_PATH:
            return False
    return True
