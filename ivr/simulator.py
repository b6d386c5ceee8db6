"""A page that plays Twilio in the browser: hear each prompt as text and answer on a keypad.

It drives the real webhooks through the same driver as the tests; the state of the
simulated call travels in the form (call id, caller, dialled number, last TwiML URL),
so any worker can serve the next click.
"""

from __future__ import annotations

import json

from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import gettext

from centre import phones
from ivr.driver import ACTIONS, FlaskTransport, PhoneCall, Turn, TwimlError, parse

bp = Blueprint("simulator", __name__, url_prefix="/try", template_folder="templates")

# One demo toll-free number per country (fictional numbers in each national plan).
DEMO_NUMBERS = {
    "FR": "+33805000000", "BE": "+3280000000", "NL": "+31800000000", "DE": "+498000000000",
    "ES": "+34900000000", "IT": "+39800000000", "GB": "+448000000000",
}  # fmt: skip
# The queue buttons: how the call leaves the queue (PhoneCall.act("leave", ...)).
QUEUE_ENDINGS = {"bridged": "bridged", "leave": "leave", "hangup-queue": "hangup"}


@bp.get("/")
def start() -> str:
    """Show the dial form."""
    return render_template("ivr/simulator.html", turn=None, numbers=DEMO_NUMBERS, state={})


@bp.post("/")
def act() -> str:
    """Dial, or send the caller's action to the pending prompt, and show what they hear."""
    form = request.form
    caller = form.get("caller", "+33612345678")[:20]
    dialled = form.get("to", DEMO_NUMBERS["FR"])[:20]
    if phones.parse(caller) is None or phones.parse(dialled) is None:
        return render_template(
            "ivr/simulator.html", turn=None, numbers=DEMO_NUMBERS, state={},
            error=gettext("Enter numbers in international format, e.g. +33612345678."),
        )  # fmt: skip
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    phone = PhoneCall(
        FlaskTransport(app), app.config["TWILIO_AUTH_TOKEN"], caller=caller, to=dialled,
        call_sid=form.get("call_sid") or None,
    )  # fmt: skip
    action = form.get("action", "dial")
    error = None
    try:
        if action == "dial" or not form.get("turn"):
            turn = phone.dial()
        else:
            phone.turn = _restore(form["turn"])
            phone.queue = phone.turn.enqueue
            turn = _perform(phone, action, form)
    except TwimlError as exc:
        error = str(exc)
        turn = phone.turn
    if action == "hangup":
        phone.hang_up()
    state = {"call_sid": phone.call_sid, "caller": caller, "to": dialled}
    return render_template(
        "ivr/simulator.html", turn=turn, numbers=DEMO_NUMBERS, state=state, error=error,
        turn_json=_store(turn),
    )  # fmt: skip


def _perform(phone: PhoneCall, action: str, form: dict[str, str]) -> Turn | None:
    if action == "hangup":
        return phone.turn
    if action in QUEUE_ENDINGS:
        return phone.act("leave", QUEUE_ENDINGS[action])
    if action not in ACTIONS:
        abort(400)
    value = {"press": form.get("digits", "")[:20], "speak": form.get("speech", "")[:300]}
    return phone.act(action, value.get(action, ""))


def _store(turn: Turn | None) -> str:
    return json.dumps({"url": turn.url, "xml": turn.xml}) if turn else ""


def _restore(raw: str) -> Turn:
    try:
        data = json.loads(raw)
        url = str(data["url"])
    except (ValueError, KeyError, TypeError):
        abort(400)
    if not url.split("://", 1)[-1].split("/", 1)[-1].startswith("ivr/"):
        abort(400)
    return parse(url, str(data["xml"]))
