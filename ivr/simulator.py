"""A page that plays Twilio in the browser: hear each prompt as text and answer on a keypad.

It drives the real webhooks through the same driver as the tests, signing them with the
centre's Twilio token, so it acts only on what it started: the browser's signed session lists
the calls it dialled, and the state of a call (its id, the caller, the dialled number and the
last TwiML) travels in the form signed by the app, so any worker can serve the next click and
no visitor can make it sign a request for another call or another URL. It never runs in
production (settings.finish), whatever SIMULATOR_ENABLED says.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from flask import Blueprint, abort, current_app, render_template, request, session
from flask_babel import gettext
from itsdangerous import BadSignature, URLSafeSerializer

from centre import phones
from ivr.driver import ACTIONS, STATUS_PATH, FlaskTransport, PhoneCall, Turn, TwimlError, parse

bp = Blueprint("simulator", __name__, url_prefix="/try", template_folder="templates")

# One demo toll-free number per country (fictional numbers in each national plan).
DEMO_NUMBERS = {
    "FR": "+33805000000", "BE": "+3280000000", "NL": "+31800000000", "DE": "+498000000000",
    "ES": "+34900000000", "IT": "+39800000000", "GB": "+448000000000",
}  # fmt: skip
# The queue buttons: how the call leaves the queue (PhoneCall.act("leave", ...)).
QUEUE_ENDINGS = {"bridged": "bridged", "leave": "leave", "hangup-queue": "hangup"}
STARTED = "simulator_calls"  # the session key listing the calls this browser dialled
MAX_STARTED = 20


@bp.get("/")
def start() -> str:
    """Show the dial form."""
    return render_template("ivr/simulator.html", turn=None, numbers=DEMO_NUMBERS, state={})


@bp.post("/")
def act() -> str | tuple[str, int]:
    """Dial, or send the caller's action to the pending prompt, and show what they hear."""
    form = request.form
    action = form.get("action", "dial")
    if action == "dial" or not form.get("turn"):
        return _dial(
            form.get("caller", "+33612345678")[:20], form.get("to", DEMO_NUMBERS["FR"])[:20]
        )
    state = _restore(form["turn"])
    if state is None or state["call"] != form.get("call_sid") or state["call"] not in _started():
        return render_template(
            "ivr/simulator.html", turn=None, numbers=DEMO_NUMBERS, state={},
            error=gettext("This page can only go on with a call it started itself: dial again."),
        ), 403  # fmt: skip
    phone = _phone(state["caller"], state["to"], state["call"])
    error = None
    try:
        phone.turn = parse(state["url"], state["xml"])
        phone.queue = phone.turn.enqueue
        turn = _perform(phone, action, form)
    except TwimlError as exc:
        error = str(exc)
        turn = phone.turn
    if action == "hangup":
        phone.hang_up()
    return _page(phone, turn, error)


def _dial(caller: str, dialled: str) -> str:
    if phones.parse(caller) is None or phones.parse(dialled) is None:
        return render_template(
            "ivr/simulator.html", turn=None, numbers=DEMO_NUMBERS, state={},
            error=gettext("Enter numbers in international format, e.g. +33612345678."),
        )  # fmt: skip
    phone = _phone(caller, dialled, None)
    session[STARTED] = [*_started(), phone.call_sid][-MAX_STARTED:]
    error = None
    turn: Turn | None
    try:
        turn = phone.dial()
    except TwimlError as exc:
        error = str(exc)
        turn = phone.turn
    return _page(phone, turn, error)


def _phone(caller: str, dialled: str, call_sid: str | None) -> PhoneCall:
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # the proxy's own method
    return PhoneCall(FlaskTransport(app), app.config["TWILIO_AUTH_TOKEN"], caller=caller,
                     to=dialled, call_sid=call_sid)  # fmt: skip


def _page(phone: PhoneCall, turn: Turn | None, error: str | None) -> str:
    state = {"call_sid": phone.call_sid, "caller": phone.caller, "to": phone.to}
    return render_template(
        "ivr/simulator.html", turn=turn, numbers=DEMO_NUMBERS, state=state, error=error,
        turn_json=_store(phone, turn),
    )  # fmt: skip


def _started() -> list[str]:
    """Return the calls this browser dialled on the page (its signed session keeps them)."""
    started = session.get(STARTED)
    return [str(sid) for sid in started] if isinstance(started, list) else []


def _perform(phone: PhoneCall, action: str, form: dict[str, str]) -> Turn | None:
    if action == "hangup":
        return phone.turn
    if action in QUEUE_ENDINGS:
        return phone.act("leave", QUEUE_ENDINGS[action])
    if action not in ACTIONS:
        abort(400)
    value = {"press": form.get("digits", "")[:20], "speak": form.get("speech", "")[:300]}
    return phone.act(action, value.get(action, ""))


def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="simulator-turn")


def _store(phone: PhoneCall, turn: Turn | None) -> str:
    """Return the call's state for the next click, signed so that it comes back unchanged."""
    if turn is None or not _own_flow(turn):
        return ""
    state = {"call": phone.call_sid, "caller": phone.caller, "to": phone.to,
             "url": turn.url, "xml": turn.xml}  # fmt: skip
    return str(_signer().dumps(state))


def _restore(raw: str) -> dict[str, str] | None:
    """Return the state the app signed for this call's last turn; None if it was changed."""
    try:
        state = _signer().loads(raw)
        turn = parse(str(state["url"]), str(state["xml"]))
    except (BadSignature, KeyError, TypeError, TwimlError):
        return None
    if not isinstance(state, dict) or not _own_flow(turn):
        return None
    return {key: str(state[key]) for key in ("call", "caller", "to", "url", "xml")}


def _own_flow(turn: Turn) -> bool:
    """Tell whether every URL the turn may lead to is a step of the phone menu (not a callback)."""
    urls = [turn.url, turn.redirect]
    for verb in (turn.gather, turn.record, turn.enqueue):
        urls += [(verb or {}).get(key) for key in ("action", "waitUrl", "recordingStatusCallback")]
    for url in filter(None, urls):
        parts = urlsplit(urljoin(FlaskTransport.base_url + "/", url))
        if parts.netloc != urlsplit(FlaskTransport.base_url).netloc:
            return False
        if not parts.path.startswith("/ivr/") or parts.path == STATUS_PATH:
            return False
    return True
