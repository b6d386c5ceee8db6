"""The floor: the least a Flask app under gunicorn can do, answer one constant TwiML document.

Served by the same gunicorn command as the real app, it gives the throughput and latency
that no webhook can beat on this machine, so the app's figures are read as a share of it.
"""

from __future__ import annotations

import os

import sqlalchemy as sa
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


def _check_signature() -> None:
    """Refuse the request (403) unless Twilio's signature matches, as every webhook must."""
    validator = RequestValidator(signed_app.config["TWILIO_AUTH_TOKEN"])
    if not validator.validate(
        request.url, request.form, request.headers.get("X-Twilio-Signature", "")
    ):
        abort(403)


@signed_app.post("/ivr/voice")
def signed_voice() -> Response:
    """Refuse a bad signature, else build the main-menu lookalike afresh."""
    _check_signature()
    return Response(_main_menu_lookalike(), status=200, mimetype="text/xml")


# The least a webhook that keeps its call's state in the database can do: the signed
# reference plus ONE autocommitted statement that writes a row keyed by the CallSid (one
# round trip, one commit). No real step can be cheaper while its state lives in PostgreSQL,
# so this share of the floor bounds every stateful scenario on this machine.
stateful_app = Flask(__name__)
stateful_app.config["TWILIO_AUTH_TOKEN"] = signed_app.config["TWILIO_AUTH_TOKEN"]
_TOUCH = sa.text(
    "INSERT INTO bench_touch (call_sid, hits) VALUES (:sid, 1)"
    " ON CONFLICT (call_sid) DO UPDATE SET hits = bench_touch.hits + 1 RETURNING hits"
)
_engine: sa.Engine | None = None


def _database() -> sa.Engine:
    """Return this worker's engine on DATABASE_URL, creating the one table on first use."""
    global _engine  # noqa: PLW0603 -- one pool per gunicorn worker, made after the fork
    if _engine is None:
        _engine = sa.create_engine(os.environ["DATABASE_URL"], isolation_level="AUTOCOMMIT")
        with _engine.connect() as connection:
            connection.execute(
                sa.text(
                    "CREATE TABLE IF NOT EXISTS bench_touch"
                    " (call_sid text PRIMARY KEY, hits integer NOT NULL)"
                )
            )
    return _engine


@stateful_app.post("/ivr/voice")
def stateful_voice() -> Response:
    """Check the signature, write the call's row in one statement, build the lookalike."""
    _check_signature()
    with _database().connect() as connection:
        connection.execute(_TOUCH, {"sid": request.form.get("CallSid", "")})
    return Response(_main_menu_lookalike(), status=200, mimetype="text/xml")
