"""The floor: the least a Flask app under gunicorn can do, answer one constant TwiML document.

Served by the same gunicorn command as the real app, it gives the throughput and latency
that no webhook can beat on this machine, so the app's figures are read as a share of it.
"""

from __future__ import annotations

import os

from flask import Flask, Response, abort, request
from twilio.request_validator import RequestValidator
from twilio.twiml.voice_response import VoiceResponse


def _main_menu_lookalike() -> str:
    """Return a gather with a few sentences, about the size of the app's main menu."""
    response = VoiceResponse()
    gather = response.gather(
        input="dtmf speech",
        num_digits=1,
        timeout=6,
        action="/ivr/step?s=1&l=en",
        method="POST",
        language="en-GB",
        speech_model="default",
        speech_timeout="auto",
        hints="complaint, suggestion, observation, comment, problem, agent, person, language",
    )
    for sentence in (
        "Main menu.",
        "To make a complaint, a suggestion or an observation, press 3.",
        "To speak to an agent, press 0.",
        "To change the language, press 9.",
        "To hear these choices again, press star.",
    ):
        gather.say(sentence, voice="Polly.Amy", language="en-GB")
    response.redirect("/ivr/step?s=1&l=en", method="POST")
    return str(response)


# Built once at import: every request gets the same bytes.
DOCUMENT = _main_menu_lookalike()

app = Flask(__name__)


@app.post("/ivr/voice")
def voice() -> Response:
    """Answer any POST with the constant document."""
    return Response(DOCUMENT, status=200, mimetype="text/xml")


# The same document, but as a real webhook must at least work: check Twilio's signature
# and build the TwiML for this request. No database, no translation: what a step costs
# beyond this is the app's own work.
signed_app = Flask(__name__)
signed_app.config["TWILIO_AUTH_TOKEN"] = os.environ.get("TWILIO_AUTH_TOKEN", "")


@signed_app.post("/ivr/voice")
def signed_voice() -> Response:
    """Refuse a bad signature, else build the main-menu lookalike afresh."""
    validator = RequestValidator(signed_app.config["TWILIO_AUTH_TOKEN"])
    if not validator.validate(
        request.url, request.form, request.headers.get("X-Twilio-Signature", "")
    ):
        abort(403)
    return Response(_main_menu_lookalike(), status=200, mimetype="text/xml")
