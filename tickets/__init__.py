"""Tickets: everything that needs a human (complaints, suggestions, observations, callbacks, escalations).

The ticket store: its models, opening, callbacks, SLA and labels. The agents' desk that works
on them is the `desk` package, above this one.
"""

from __future__ import annotations

from flask import Flask

from centre.forgetting import register_forget_caller
from tickets import privacy
from tickets.cli import tickets_group


def init_app(app: Flask) -> None:
    """Register the `tickets` commands and how the ticket store forgets a caller."""
    app.cli.add_command(tickets_group)
    register_forget_caller(app, privacy.forget_caller)
