"""What the ticket store forgets: recordings past their retention, and a caller on request.

Anonymising keeps every ticket and every figure (types, statuses, languages, countries,
times): only what points to the person goes (their number on the ticket, its keyed hash and
masked form, their recordings, the notes' free text, the callback numbers). A callback still
booked is cancelled: there is no number left to ring.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta

import requests
import sqlalchemy as sa
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client

from centre import messaging, phones
from centre.clock import now, to_storage
from centre.extensions import db, rows_changed
from centre.forgetting import Caller, Report
from centre.messaging import OutboundMessage
from tickets.models import Callback, Recording, Ticket, TicketNote

log = logging.getLogger(__name__)
REDACTED = "[anonymised]"
CANCELLED = "cancelled"
PLAIN = {"synchronize_session": False}


def _delete_at_twilio(client: Client, recording_sid: str) -> str | None:
    """Delete the recording at Twilio; return why it could not be, or None once it is gone there."""
    try:
        client.recordings(recording_sid).delete()
    except TwilioRestException as exc:
        if exc.status == 404:  # already gone (deleted in Twilio's console, or by Twilio itself)
            return None
        # Its words as str(exc) gives them off a terminal (on one, it adds colours and the request).
        return f"HTTP {exc.status} error: {exc.msg}"
    except (TwilioException, requests.RequestException) as exc:  # not reached: next run
        return f"{type(exc).__name__}: {exc}"
    return None


def delete_recordings(recordings: Iterable[Recording], report: Report) -> None:
    """Delete each recording at Twilio (or record the deletion in the outbox) and forget its URL."""
    client = messaging.twilio_client()
    for recording in recordings:
        recording.transcript = None  # the caller's words, as Twilio heard them
        if recording.audio is not None:  # held by the app, never sent to Twilio
            recording.audio, recording.url = None, ""
            report.add("recordings deleted", 1)
            continue
        status, error = "recorded", None
        if client is not None:
            error = _delete_at_twilio(client, recording.recording_sid)
            status = "sent" if error is None else "failed"
        if error is not None:
            error = error[:500]
            log.warning("recording %s could not be deleted at Twilio: %s", recording.id, error)
        db.session.add(
            OutboundMessage(
                channel="api",
                purpose="recording_deleted",
                to_number="",
                language="",
                body=f"DELETE Recordings/{recording.recording_sid}",
                status=status,
                error=error,
                provider_sid=recording.recording_sid,
                created_at=to_storage(now()),
            )
        )
        if status != "failed":
            recording.url = ""
            report.add("recordings deleted", 1)
        else:
            report.add("recordings whose deletion failed (kept, retried next run)", 1)


def purge_recordings(days: int) -> Report:
    """Delete the recordings older than `days` days."""
    cutoff = to_storage(now() - timedelta(days=days))
    old = list(
        db.session.scalars(
            sa.select(Recording)
            .where(Recording.created_at < cutoff, Recording.url != "")
            .order_by(Recording.id)
        )
    )
    report = Report({"recordings deleted": 0})
    delete_recordings(old, report)
    return report


def forget_caller(caller: Caller, report: Report) -> None:
    """Remove what points to the caller from their tickets, notes, recordings and callbacks."""
    tickets = list(
        db.session.scalars(
            sa.select(Ticket.id).where(
                sa.or_(Ticket.caller_hash == caller.digest, Ticket.caller_number == caller.number)
            )
        )
    )
    recordings = list(
        db.session.scalars(
            sa.select(Recording).where(Recording.ticket_id.in_(tickets), Recording.url != "")
        )
    )
    delete_recordings(recordings, report)
    steps = (
        (
            "ticket notes",
            sa.update(TicketNote).where(TicketNote.ticket_id.in_(tickets)).values(body=REDACTED),
        ),
        (
            "callbacks cancelled",
            sa.update(Callback)
            .where(Callback.ticket_id.in_(tickets), Callback.state == "booked")
            .values(state=CANCELLED),
        ),
        (
            "callback numbers",
            sa.update(Callback).where(Callback.ticket_id.in_(tickets)).values(number=""),
        ),
        (
            "tickets",
            sa.update(Ticket)
            .where(Ticket.id.in_(tickets))
            .values(
                caller_hash=None,
                caller_number=None,
                caller_masked=phones.ANONYMISED,
                version=Ticket.version + 1,
            ),
        ),
    )
    for kind, statement in steps:
        report.add(kind, rows_changed(db.session.execute(statement, execution_options=PLAIN)))
