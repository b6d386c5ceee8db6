"""Personal data: recordings deleted after their retention period, callers anonymised on request.

Anonymising keeps every row and every statistic (counts, types, languages, countries,
durations, outcomes, times): only what points to the person goes. Each domain forgets what
it holds (its `forget_caller` hook, registered in its `init_app`, see centre.forgetting):
the ticket store its tickets' numbers, recordings, notes and callbacks (a callback still
booked is cancelled: there is no number left to ring); the phone menu its calls' numbers,
their time zone and the caller's language; the case store the number on their cases and
the hash on their lookups; the outbox the numbers it sent to. The audit log never held the
notes' text (only a note's id and length), so it has nothing to erase.

    flask --app app privacy purge-recordings      # the scheduler runs it nightly (02:30)
    flask --app app privacy anonymise +33612345678
"""

from __future__ import annotations

import logging

import click
from flask import current_app
from flask.cli import AppGroup

from centre import phones
from centre.extensions import db
from centre.forgetting import Report, forget_caller
from staff import audit
from tickets import privacy as tickets_privacy

log = logging.getLogger(__name__)


def purge_recordings(days: int) -> Report:
    """Delete the recordings older than `days` days, and log it."""
    report = tickets_privacy.purge_recordings(days)
    audit.record(
        "privacy.purge_recordings", after={"days": days, **report.counts}, actor_email="cli"
    )
    return report


def purge_expired_recordings() -> Report:
    """Delete the recordings past RECORDING_RETENTION_DAYS (the scheduler runs it nightly)."""
    report = purge_recordings(current_app.config["RECORDING_RETENTION_DAYS"])
    log.info("recordings purged: %s", report.counts)
    return report


def anonymise(number: str) -> Report:
    """Have every domain forget the caller of `number`, keeping the statistics, and log it."""
    report = forget_caller(number)
    audit.record("privacy.anonymise", after=report.counts, actor_email="cli")
    log.info("caller %s anonymised", phones.mask(number))
    return report


privacy_group = AppGroup("privacy", help="Personal data: recordings' retention, anonymising.")


@privacy_group.command("purge-recordings")
@click.option("--days", type=int, help="Keep this many days (default RECORDING_RETENTION_DAYS).")
def purge_recordings_command(days: int | None) -> None:
    """Delete the recordings older than the retention period, at Twilio and here."""
    keep = days if days is not None else current_app.config["RECORDING_RETENTION_DAYS"]
    if keep < 0:
        raise click.UsageError("--days cannot be negative")
    report = purge_recordings(keep)
    db.session.commit()
    click.echo(f"Recordings older than {keep} days:")
    for line in report.lines():
        click.echo("  " + line)


@privacy_group.command("anonymise")
@click.argument("number")
def anonymise_command(number: str) -> None:
    """Anonymise everything that points to the caller of NUMBER; statistics stay true."""
    try:
        report = anonymise(number)
    except ValueError as exc:
        raise click.UsageError(f"{number!r} is not a phone number") from exc
    db.session.commit()
    click.echo(f"Caller {phones.mask(number)} anonymised:")
    for line in report.lines():
        click.echo("  " + line)
