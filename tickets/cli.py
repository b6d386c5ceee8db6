"""`flask --app app tickets ...`: tickets from the shell."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from tickets.services import newest

tickets_group = AppGroup("tickets", help="Tickets opened by callers.")


@tickets_group.command("list")
@click.option("--limit", default=50, show_default=True)
def tickets_list(limit: int) -> None:
    """List tickets, newest first: reference, type, status, language, created (UTC)."""
    for ticket in newest(limit):
        click.echo(
            f"{ticket.reference}  {ticket.type:<15} {ticket.status:<9} {ticket.language:<3} "
            f"{ticket.created_at:%Y-%m-%d %H:%M}"
        )
