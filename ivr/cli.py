"""`flask --app app call`: walk the phone menu from the terminal, no Twilio account needed."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l

from centre import languages
from ivr.driver import FlaskTransport, HttpTransport, PhoneCall, Turn, TwimlError

GRAMMAR = """\b
What the caller does, one entry per prompt (as INPUTS, or typed when asked):
  2, 1000000016#   keys, as many as the prompt takes (# ends an entry)
  say WORDS        words said where the prompt listens for speech
  (empty)          silence: the prompt times out
  record           a short message after the tone
  hold             hear the waiting message again while queued
  answer           an agent answers the queued call
  leave RESULT     the queue ends otherwise (hangup, error...)
  hangup, quit     hang up now
Twilio's own moves are made for you: the wait URL when queued, the queue's action after
<Leave> (1 on the waiting message books a callback), the status callback at the end."""
PROMPT = _l(
    "Keys (then # for a long entry), 'say' and words, Enter for silence, 'record', 'hold', "
    "'answer', 'hangup'"
)
SPOKEN_IN = {language.say_language: language.code for language in languages.LANGUAGES}


def _language(turn: Turn) -> str:
    """Return the language the call is in, as the last sentence was said."""
    said = turn.said[-1].language if turn.said else ""
    return SPOKEN_IN.get(said, languages.DEFAULT.code)


def _ask(turn: Turn) -> str:
    with force_locale(_language(turn)):
        return str(click.prompt(gettext(str(PROMPT)), default="", show_default=False))


def _show(turn: Turn) -> None:
    for said in turn.said:
        click.echo(f"  [{said.language}] {said.text}")
    click.echo(f"  -- waiting for: {turn.waiting_for}")


@click.command("call", epilog=GRAMMAR)
@click.option(
    "--from", "caller", default="+33612345678", show_default=True, help="The caller's number."
)
@click.option(
    "--to",
    "dialled",
    default="+33805000000",
    show_default=True,
    help="The toll-free number dialled.",
)
@click.option(
    "--url", default="", help="Call a running server instead, e.g. http://127.0.0.1:5000."
)
@click.argument("inputs", nargs=-1)
@with_appcontext
def call_command(caller: str, dialled: str, url: str, inputs: tuple[str, ...]) -> None:
    """Place a simulated call; give INPUTS to play them, or answer each prompt interactively.

    Example: `flask --app app call 2 1 2 1000000016# 1 05031984# 1` looks up a demo application
    in French (the 1 after the language skips the demo notice).
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # the proxy's own method
    transport = HttpTransport(url) if url else FlaskTransport(app)
    phone = PhoneCall(transport, app.config["TWILIO_AUTH_TOKEN"], caller=caller, to=dialled)
    turn = _follow(phone, phone.dial())
    scripted = list(inputs)
    while turn.waiting_for not in ("hangup", "dial", "nothing"):
        entry = scripted.pop(0) if scripted else (None if inputs else _ask(turn))
        if entry is None or entry in ("quit", "hangup"):
            break
        try:
            click.echo(f"> {entry or '(silence)'}")
            turn = _follow(phone, _act(phone, entry))
        except TwimlError as error:
            click.echo(f"  !! {error}")
            continue
    click.echo(f"status callback: {phone.hang_up()}")


def _follow(phone: PhoneCall, turn: Turn) -> Turn:
    """Show the turn, then do what Twilio does on its own: fetch the wait URL, leave the queue."""
    _show(turn)
    if turn.enqueue is not None:
        return _follow(phone, phone.hold())
    if turn.leave:
        return _follow(phone, phone.left())
    return turn


def _act(phone: PhoneCall, entry: str) -> Turn:
    word, _, rest = entry.partition(" ")
    if word == "say":
        return phone.act("speak", rest)
    if word in ("record", "hold", "leave"):
        return phone.act(word, rest)
    if word == "answer":
        return phone.leave_queue("bridged")
    return phone.act("press", entry) if entry else phone.act("silence")
