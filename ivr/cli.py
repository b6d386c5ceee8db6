"""`flask --app app call`: walk the phone menu from the terminal, no Twilio account needed."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from ivr.driver import FlaskTransport, HttpTransport, PhoneCall, Turn, TwimlError

HELP = "keys (e.g. 2), 'say <words>', '' for silence, 'record', 'hold', 'leave <result>', 'quit'"


def _show(turn: Turn) -> None:
    for said in turn.said:
        click.echo(f"  [{said.language}] {said.text}")
    click.echo(f"  -- waiting for: {turn.waiting_for}")


@click.command("call")
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
    """Place a simulated call; give INPUTS to play them, or answer each prompt interactively."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # the proxy's own method
    transport = HttpTransport(url) if url else FlaskTransport(app)
    phone = PhoneCall(transport, app.config["TWILIO_AUTH_TOKEN"], caller=caller, to=dialled)
    turn = phone.dial()
    _show(turn)
    scripted = list(inputs)
    while turn.waiting_for not in ("hangup", "dial", "nothing"):
        entry = (
            scripted.pop(0)
            if scripted
            else (None if inputs else click.prompt(HELP, default="", show_default=False))
        )
        if entry is None or entry == "quit":
            break
        try:
            turn = _act(phone, entry)
        except TwimlError as error:
            click.echo(f"  !! {error}")
            continue
        click.echo(f"> {entry or '(silence)'}")
        _show(turn)
    click.echo(f"status callback: {phone.hang_up()}")


def _act(phone: PhoneCall, entry: str) -> Turn:
    word, _, rest = entry.partition(" ")
    if word == "say":
        return phone.act("speak", rest)
    if word in ("record", "hold", "leave"):
        return phone.act(word, rest)
    return phone.act("press", entry) if entry else phone.act("silence")
