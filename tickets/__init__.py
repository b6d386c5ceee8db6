"""Tickets: everything that needs a human (complaints, suggestions, observations, callbacks, escalations).

The ticket store: its models, opening, callbacks, SLA and labels. The agents' desk that works
on them is the `desk` package, above this one.
"""

from __future__ import annotations

from flask import Flask

from centre import jobs
from centre.forgetting import register_forget_caller
from tickets import callbacks, privacy, survey
from tickets.cli import tickets_group
from tickets.signals import ticket_resolved

# Every five minutes, off the hour and the quarters the other scheduled work takes.
REMINDER_MINUTES = ",".join(str(minute) for minute in range(2, 60, 5))


def init_app(app: Flask) -> None:
    """Register the `tickets` commands, the callback reminders, how the store forgets a caller,
    and the survey's sender."""
    app.cli.add_command(tickets_group)
    register_forget_caller(app, privacy.forget_caller)
    jobs.register_scheduled(
        app,
        "callback-reminders",
        jobs.every(minute=REMINDER_MINUTES),
        callbacks.send_reminders,
        "text the callers who asked for it that their callback comes soon",
    )
    # Connected once per process (blinker keeps one receiver however many apps are made).
    ticket_resolved.connect(survey.on_resolved)
