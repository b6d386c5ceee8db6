"""`flask --app app users ...`: accounts from the shell, the first admin included."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup
from flask_babel import force_locale

from centre.extensions import db
from staff import accounts

users_group = AppGroup("users", help="Staff accounts.")
SHELL_LOCALE = "en"  # the shell answers in English
CLI_ACTOR = "cli"


def _read_password() -> str:
    """Read the password from standard input: hidden and twice on a terminal, else one line."""
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\r\n")


@users_group.command("create")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice(accounts.ROLES))
@click.option("--languages", default="", help="Languages an agent speaks, e.g. fr,ar.")
@click.option("--phone", default=None, help="The phone the desk rings, e.g. +212600000000.")
def users_create(email: str, role: str, languages: str, phone: str | None) -> None:
    """Create an account; the password is read from standard input."""
    try:
        with force_locale(SHELL_LOCALE):
            user = accounts.create(
                email, _read_password(), role, languages, phone=phone, actor_email=CLI_ACTOR
            )
    except accounts.AccountRefused as refused:
        raise click.ClickException(str(refused)) from refused
    db.session.commit()
    click.echo(
        f"created {user.email} ({user.role}{', ' + user.languages if user.languages else ''})"
    )


@users_group.command("password")
@click.argument("email")
def users_password(email: str) -> None:
    """Set an account's password, read from standard input; its sessions end."""
    user = accounts.by_email(email)
    if user is None:
        raise click.ClickException(f"no account {email}")
    try:
        with force_locale(SHELL_LOCALE):
            accounts.set_password(user, _read_password(), actor_email=CLI_ACTOR)
    except accounts.AccountRefused as refused:
        raise click.ClickException(str(refused)) from refused
    db.session.commit()
    click.echo(f"password changed for {user.email}")


@users_group.command("list")
def users_list() -> None:
    """List accounts: email, role, languages, state."""
    for user in accounts.all_accounts():
        state = "active" if user.active else "disabled"
        click.echo(f"{user.email:<40} {user.role:<11} {user.languages:<20} {state}")
