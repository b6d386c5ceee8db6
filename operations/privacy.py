"""Personal data: recordings deleted after their retention period, callers anonymised on request.

Anonymising keeps every row and every statistic (counts, types, languages, countries,
durations, outcomes, times): only what points to the person goes (the keyed hash and masked
form of their number, recordings, free text, callback and outbox numbers, the time zone
their number gave their calls, their preference). A callback still booked is cancelled:
there is no number left to ring. The audit log never held the notes' text (only a note's
id and length), so it has nothing to erase.

    flask --app app privacy purge-recordings      # a scheduler runs it daily
    flask --app app privacy anonymise +33612345678
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup
from twilio.base.exceptions import TwilioException
from twilio.rest import Client

from centre import phones
from centre.clock import now, to_storage
from centre.extensions import db
from centre.messaging import OutboundMessage

log = logging.getLogger(__name__)
REDACTED = "[anonymised]"
CANCELLED = "cancelled"


@dataclass
class Report:
    """What a privacy run changed, by kind of data."""

    counts: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, count: int) -> None:
        """Count `count` more changes of `kind`."""
        self.counts[kind] = self.counts.get(kind, 0) + count

    def lines(self) -> list[str]:
        """Return one line per kind of data changed."""
        return [f"{kind}: {count}" for kind, count in self.counts.items()]


def _delete_recordings(recordings: list, report: Report) -> None:  # type: ignore[type-arg]
    """Delete each recording at Twilio (or record the deletion in the outbox) and forget its URL."""
    sid = current_app.config["TWILIO_ACCOUNT_SID"]
    client = Client(sid, current_app.config["TWILIO_AUTH_TOKEN"]) if sid else None
    for recording in recordings:
        status, error = "recorded", None
        if client is not None:
            try:
                client.recordings(recording.recording_sid).delete()
                status = "sent"
            except TwilioException as exc:
                status, error = "failed", str(exc)[:500]
                log.warning("recording %s could not be deleted at Twilio", recording.id)
        db.session.add(OutboundMessage(
            channel="api", purpose="recording_deleted", to_number="", language="",
            body=f"DELETE Recordings/{recording.recording_sid}", status=status, error=error,
            provider_sid=recording.recording_sid, created_at=to_storage(now()),
        ))  # fmt: skip
        if status != "failed":
            recording.url = ""
            report.add("recordings deleted", 1)
        else:
            report.add("recordings whose deletion failed (kept, retried next run)", 1)


def purge_recordings(days: int) -> Report:
    """Delete the recordings older than `days` days."""
    from tickets.models import Recording

    cutoff = to_storage(now() - timedelta(days=days))
    old = list(db.session.scalars(
        sa.select(Recording).where(Recording.created_at < cutoff, Recording.url != "")
        .order_by(Recording.id)))  # fmt: skip
    report = Report({"recordings deleted": 0})
    _delete_recordings(old, report)
    from staff import audit

    audit.record("privacy.purge_recordings", after={"days": days, **report.counts},
                 actor_email="cli")  # fmt: skip
    return report


def anonymise(number: str) -> Report:
    """Remove what identifies the caller of `number` from every row, keeping the statistics."""
    from ivr.models import Call, CallerPreference
    from staff import audit
    from tickets.models import Callback, Recording, Ticket, TicketNote

    normalised = phones.normalise(number)
    if normalised is None:
        raise ValueError("not a phone number")
    digest = phones.keyed_hash(normalised, current_app.config["PHONE_HASH_KEY"])
    report = Report()
    tickets = list(db.session.scalars(sa.select(Ticket.id).where(Ticket.caller_hash == digest)))
    recordings = list(db.session.scalars(
        sa.select(Recording).where(Recording.ticket_id.in_(tickets), Recording.url != "")))  # fmt: skip
    _delete_recordings(recordings, report)
    plain = {"synchronize_session": False}
    _forget_time_zone(digest)
    steps = (
        ("ticket notes", sa.update(TicketNote).where(TicketNote.ticket_id.in_(tickets))
         .values(body=REDACTED)),
        ("callbacks cancelled", sa.update(Callback)
         .where(Callback.ticket_id.in_(tickets), Callback.state == "booked")
         .values(state=CANCELLED)),
        ("callback numbers", sa.update(Callback).where(Callback.ticket_id.in_(tickets))
         .values(number="")),
        ("tickets", sa.update(Ticket).where(Ticket.id.in_(tickets))
         .values(caller_hash=None, caller_masked=phones.ANONYMISED, version=Ticket.version + 1)),
        ("calls", sa.update(Call).where(Call.caller_hash == digest)
         .values(caller_hash=None, caller_masked=phones.ANONYMISED)),
        ("caller preferences", sa.delete(CallerPreference)
         .where(CallerPreference.caller_hash == digest)),
        ("outbox numbers", sa.update(OutboundMessage)
         .where(OutboundMessage.to_number == normalised).values(to_number="")),
    )  # fmt: skip
    for kind, statement in steps:
        report.add(kind, db.session.execute(statement, execution_options=plain).rowcount)  # type: ignore[attr-defined]
    audit.record("privacy.anonymise", after=report.counts, actor_email="cli")
    log.info("caller %s anonymised", phones.mask(normalised))
    return report


def _forget_time_zone(digest: str, attempts: int = 5) -> None:
    """Drop the time zone the caller's number gave their calls, leaving each call's step alone.

    Plain UPDATEs, not an ORM flush: a live call's step is moved only by its webhooks (moved
    here, the caller's next key would look like a replay). Each is guarded on the step read,
    so a step the caller takes meanwhile is not overwritten: that call is read again.
    """
    from ivr.models import Call

    calls = Call.__table__
    for _ in range(attempts):
        rows = db.session.execute(
            sa.select(calls.c.id, calls.c.step, calls.c.context).where(
                calls.c.caller_hash == digest
            )
        ).all()
        zoned = [row for row in rows if "tz" in (row.context or {})]
        if not zoned:
            return
        for row in zoned:
            context = {key: value for key, value in row.context.items() if key != "tz"}
            db.session.execute(
                sa.update(calls)
                .where(calls.c.id == row.id, calls.c.step == row.step)
                .values(context=context)
            )
    raise RuntimeError("a call of this caller kept moving; run the anonymising again")


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
