"""Opening tickets and attaching recordings, safely under Twilio's retries."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from centre import phones
from centre.check_digit import luhn_check_digit
from centre.clock import now, to_storage
from centre.extensions import db
from centre.statements import Compiled, insert_into
from centre.transactions import WRITTEN
from tickets import sla
from tickets.models import PRECEDENCE, TYPES, Recording, Ticket
from tickets.signals import ticket_changed_by_statement

REFERENCE_DIGITS = 9  # eight random digits and a Luhn check digit
TRANSCRIPT_MAX = 10000


def new_reference() -> str:
    """Return a fresh random ticket reference whose last digit checks the others."""
    body = "".join(secrets.choice("0123456789") for _ in range(REFERENCE_DIGITS - 1))
    body = str(secrets.randbelow(9) + 1) + body[1:]  # no leading zero: it is read aloud
    return body + luhn_check_digit(body)


def open_ticket(
    type: str,
    language: str,
    caller: str | None,
    hash_key: str,
    country: str | None = None,
    call_sid: str | None = None,
    source_key: str | None = None,
    ivr_path: list[dict[str, Any]] | None = None,
    at: datetime | None = None,
    look_first: bool = True,
    with_request: bool = False,
) -> Ticket:
    """Open a ticket, or return the one `source_key` already opened (a replayed webhook).

    Without `look_first`, a ticket `source_key` opened is found when the INSERT meets it (the
    key is unique) rather than looked for beforehand: for a caller who has just looked for
    the call's tickets. `with_request` opens it with its first request in `requests`.
    """
    if type not in TYPES:
        raise ValueError(f"unknown ticket type {type!r}")
    if source_key is not None and look_first:
        existing = db.session.scalar(sa.select(Ticket).where(Ticket.source_key == source_key))
        if existing is not None:
            return existing
    moment = to_storage(at or now())
    for _ in range(5):
        ticket = Ticket(
            reference=new_reference(),
            type=type,
            status="new",
            language=language,
            country=country,
            caller_masked=phones.mask(caller),
            caller_hash=phones.keyed_hash(caller, hash_key),
            caller_number=phones.normalise(caller),
            call_sid=call_sid,
            source_key=source_key,
            ivr_path=ivr_path or [],
            requests=[_request(type, moment, source_key)] if with_request else None,
            has_message=False,
            created_at=moment,
            updated_at=moment,
        )
        sla.set_due(ticket)
        try:
            with db.session.begin_nested():
                db.session.add(ticket)
        except IntegrityError:
            if source_key is not None:
                existing = db.session.scalar(
                    sa.select(Ticket).where(Ticket.source_key == source_key)
                )
                if existing is not None:
                    return existing
            continue  # a reference collision: draw another
        return ticket
    raise RuntimeError("could not draw a unique ticket reference")


def ticket_for_call(
    type: str,
    language: str,
    caller: str | None,
    hash_key: str,
    country: str | None = None,
    call_sid: str | None = None,
    source_key: str | None = None,
    ivr_path: list[dict[str, Any]] | None = None,
    with_callback: bool = False,
) -> Ticket:
    """Add this request to the ticket the call already opened, or open the call's ticket with it.

    One call, one ticket: a caller who records a complaint, then asks for an agent, then
    leaves the queue for a callback leaves one ticket carrying the three requests in order.
    A replayed step (same `source_key`) adds nothing. `with_callback`: the ticket's booking is
    read with it (for one about to book a callback), not by a SELECT of its own.
    """
    ticket = call_ticket(call_sid, with_callback)
    if ticket is None:
        # Opened with its request (one INSERT, no UPDATE after it); a replay's ticket, which
        # holds this call's sid, would have been found above, or is met by the INSERT.
        ticket = open_ticket(
            type,
            language,
            caller,
            hash_key,
            country=country,
            call_sid=call_sid,
            source_key=source_key,
            ivr_path=ivr_path,
            look_first=call_sid is None,
            with_request=True,
        )
    add_request(ticket, type, source_key)
    return ticket


@dataclass(frozen=True)
class CallTicket:
    """The call's ticket as the phone menu needs it: its id and the reference read to the caller."""

    id: int
    reference: str


@dataclass(frozen=True)
class CallRequest:
    """What a step of a call asks of the call's ticket, and where it comes from."""

    type: str
    language: str
    caller: str | None
    hash_key: str
    country: str | None
    call_sid: str
    source_key: str  # the call and its step: a replayed step finds what it opened
    ivr_path: list[dict[str, Any]]  # the path so far, written into a new ticket only


def open_call_ticket(request: CallRequest, opened: bool = False) -> CallTicket:
    """Do what `ticket_for_call` does, opening a call's first ticket in one statement.

    The INSERT opens the ticket, with its first request and its due times, only when the call
    has no ticket yet and nothing holds its source key or reference (`ON CONFLICT DO
    NOTHING`). When it inserts nothing (the call's second request, a replayed step, a merged
    ticket, a reference drawn twice), `ticket_for_call` does the rest through the ORM.
    `opened`: the caller knows this call opened a ticket already (its state says so), so
    the INSERT, which would insert nothing, is not sent.
    """
    if request.type not in TYPES:
        raise ValueError(f"unknown ticket type {request.type!r}")
    session = db.session()
    if not opened:
        found = _open_first_ticket(session, request)
        if found is not None:
            return found
    ticket = ticket_for_call(
        request.type,
        request.language,
        request.caller,
        request.hash_key,
        country=request.country,
        call_sid=request.call_sid,
        source_key=request.source_key,
        ivr_path=request.ivr_path,
    )
    session.flush()
    return CallTicket(ticket.id, ticket.reference)


def _open_first_ticket(session: Session, request: CallRequest) -> CallTicket | None:
    """Open the call's first ticket in one statement; None when it inserted nothing."""
    connection = session.connection()
    moment = to_storage(now())
    warn_at, due_at, queue_key = sla.opening_due(request.type, moment)
    row = _open_first(connection.dialect.name).first(
        connection,
        {
            "reference": new_reference(),
            "type": request.type,
            "status": "new",
            "language": request.language,
            "country": request.country,
            "caller_masked": phones.mask(request.caller),
            "caller_hash": phones.keyed_hash(request.caller, request.hash_key),
            "caller_number": phones.normalise(request.caller),
            "call_sid": request.call_sid,
            "source_key": request.source_key,
            "ivr_path": request.ivr_path,
            "requests": [_request(request.type, moment, request.source_key)],
            "has_message": False,
            "created_at": moment,
            "updated_at": moment,
            "version": 1,
            "due_at": due_at,
            "warn_at": warn_at,
            "queue_key": queue_key,
        },
    )
    session.info[WRITTEN] = True  # sent past the session: the request still commits it
    return None if row is None else CallTicket(row["id"], row["reference"])


# The columns `open_call_ticket` gives a new ticket; the others keep their server default or NULL.
_OPENED = (
    "reference",
    "type",
    "status",
    "language",
    "country",
    "caller_masked",
    "caller_hash",
    "caller_number",
    "call_sid",
    "source_key",
    "ivr_path",
    "requests",
    "has_message",
    "created_at",
    "updated_at",
    "version",
    "due_at",
    "warn_at",
    "queue_key",
)


@cache
def _open_first(dialect: str) -> Compiled:
    """Return the INSERT of `open_call_ticket`: a call's first ticket, unless it has one."""
    tickets = Ticket.__table__
    values = [sa.bindparam(name, type_=tickets.c[name].type) for name in _OPENED]
    has_one = sa.exists().where(tickets.c.call_sid == sa.bindparam("call_sid"))
    insert = (
        insert_into(dialect, tickets)
        .from_select(list(_OPENED), sa.select(*values).where(~has_one))
        .on_conflict_do_nothing()  # the source key or the reference: the ORM's path sorts it out
        .returning(tickets.c.id, tickets.c.reference)
    )
    return Compiled(insert)


def call_ticket(call_sid: str | None, with_callback: bool = False) -> Ticket | None:
    """Return the ticket this call opened (or the one it was merged into), if any."""
    if not call_sid:
        return None
    query = sa.select(Ticket).where(Ticket.call_sid == call_sid).order_by(Ticket.id).limit(1)
    if with_callback:
        query = query.options(joinedload(Ticket.callback))
    ticket = db.session.scalar(query)
    while ticket is not None and ticket.merged_into is not None:
        ticket = ticket.merged_into
    return ticket


def add_request(
    ticket: Ticket, type: str, source_key: str | None, at: datetime | None = None
) -> None:
    """Add what the caller asked for to the ticket, once per step; the most pressing gives its type."""
    if type not in TYPES:
        raise ValueError(f"unknown ticket type {type!r}")
    first = _request(ticket.type, ticket.created_at, ticket.source_key)
    requests = list(ticket.requests or [first])
    if source_key is not None and any(r.get("key") == source_key for r in requests):
        if ticket.requests is None:
            ticket.requests = requests
        return
    moment = to_storage(at or now())
    requests.append(_request(type, moment, source_key))
    ticket.requests = requests
    pressing = min((str(r["type"]) for r in requests), key=PRECEDENCE.index)
    if pressing != ticket.type:
        ticket.type = pressing
        sla.set_due(ticket)
    ticket.updated_at = moment


def _request(type: str, at: datetime, source_key: str | None) -> dict[str, Any]:
    return {"type": type, "at": at.isoformat(), "key": source_key}


TWILIO_API = "https://api.twilio.com/2010-04-01"
ACCOUNT_SID = re.compile(r"AC[0-9a-f]{32}")
RECORDING_SID = re.compile(r"RE[0-9a-f]{32}")


def recording_audio_url(account_sid: str, recording_sid: str) -> str | None:
    """Return the MP3's address at Twilio's API for the centre's account, None for a bad sid."""
    if not RECORDING_SID.fullmatch(recording_sid) or not ACCOUNT_SID.fullmatch(account_sid):
        return None
    return f"{TWILIO_API}/Accounts/{account_sid}/Recordings/{recording_sid}.mp3"


def attach_recording(ticket_id: int, recording_sid: str, url: str, duration: int | None) -> bool:
    """Attach a recording to its ticket once; return False when it was already attached."""
    ticket = db.session.get(Ticket, ticket_id)
    if ticket is None or not recording_sid:
        return False
    while ticket.merged_into is not None:
        ticket = ticket.merged_into  # a duplicate merged meanwhile: the survivor keeps it
    if db.session.scalar(sa.select(Recording.id).where(Recording.recording_sid == recording_sid)):
        return False
    try:
        with db.session.begin_nested():
            db.session.add(
                Recording(
                    ticket=ticket,
                    recording_sid=recording_sid,
                    url=url[:500],
                    duration=duration,
                    created_at=to_storage(now()),
                )
            )
    except IntegrityError:
        return False  # the same callback, delivered twice at once
    ticket.has_message = True
    ticket.updated_at = to_storage(now())
    return True


def attach_call_recording(
    ticket_id: int, call_sid: str, recording_sid: str, url: str, duration: int | None
) -> tuple[int | None, bool] | None:
    """Attach a recording to the ticket `call_sid` opened, in one statement (PostgreSQL).

    The ticket is matched (this call's; the one it was merged into, if it was), the recording
    inserted unless its sid is known, and the ticket marked (its version moved, as the ORM
    would) in one statement; the reports hear of it (`ticket_changed_by_statement`). Return the ticket that has it (None:
    no ticket of this call) and whether it was attached now; None on another database, where
    `attach_recording` does it.
    """
    session = db.session()
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        return None
    moment = to_storage(now())
    row = _attach_in_one().first(
        connection,
        {
            "ticket_id": ticket_id,
            "call_sid": call_sid,
            "recording_sid": recording_sid,
            "url": url[:500],
            "duration": duration,
            "created_at": moment,
            "updated_at": moment,
        },
    )  # not a FINAL_WRITE: the mark of a past day's ticket joins its transaction
    if row is None:
        return None, False
    if row["opened_at"] is not None:  # attached now: a summary of the ticket's day is stale
        ticket_changed_by_statement.send(session, created_at=row["opened_at"])
    return row["ticket_id"], row["opened_at"] is not None


@cache
def _attach_in_one() -> Compiled:
    """Return the statement of `attach_call_recording` (PostgreSQL)."""
    tickets, recordings = Ticket.__table__, Recording.__table__
    chain = (
        sa.select(tickets.c.id, tickets.c.merged_into_id)
        .where(
            tickets.c.id == sa.bindparam("ticket_id", type_=sa.Integer),
            tickets.c.call_sid == sa.bindparam("call_sid", type_=sa.String),
        )
        .cte("chain", recursive=True)
    )
    merged = tickets.alias("merged")
    chain = chain.union_all(
        sa.select(merged.c.id, merged.c.merged_into_id).where(merged.c.id == chain.c.merged_into_id)
    )
    target = sa.select(chain.c.id).where(chain.c.merged_into_id.is_(None)).cte("target")
    added = (
        postgresql.insert(recordings)
        .from_select(
            ["ticket_id", "recording_sid", "url", "duration", "created_at"],
            sa.select(
                target.c.id,
                sa.bindparam("recording_sid", type_=sa.String),
                sa.bindparam("url", type_=sa.String),
                sa.bindparam("duration", type_=sa.Integer),
                sa.bindparam("created_at", type_=recordings.c.created_at.type),
            ),
        )
        .on_conflict_do_nothing(index_elements=[recordings.c.recording_sid])
        .returning(recordings.c.ticket_id)
        .cte("added")
    )
    marked = (
        sa.update(tickets)
        .where(tickets.c.id == added.c.ticket_id)
        .values(
            has_message=True,
            updated_at=sa.bindparam("updated_at", type_=tickets.c.updated_at.type),
            version=tickets.c.version + 1,
        )
        .returning(tickets.c.created_at)
        .cte("marked")
    )
    return Compiled(
        sa.select(
            sa.select(target.c.id).scalar_subquery().label("ticket_id"),
            sa.select(marked.c.created_at).scalar_subquery().label("opened_at"),
        )
    )


def keep_audio(recording_sid: str, audio: bytes) -> bool:
    """Keep a recording's audio in the app (development, demo data); False if no such recording."""
    recording = db.session.scalar(
        sa.select(Recording).where(Recording.recording_sid == recording_sid)
    )
    if recording is None or recording.deleted:
        return False
    recording.audio = audio
    db.session.flush()
    return True


def attach_transcript(
    ticket_id: int, recording_sid: str, url: str, text: str, duration: int | None = None
) -> bool:
    """Keep what Twilio's transcription heard, attaching the recording first if it came later."""
    if not recording_sid or not text.strip():
        return False
    attach_recording(ticket_id, recording_sid, url, duration)
    recording = db.session.scalar(
        sa.select(Recording).where(Recording.recording_sid == recording_sid)
    )
    if recording is None or recording.deleted:
        return False  # erased meanwhile: the words go with it
    recording.transcript = text.strip()[:TRANSCRIPT_MAX]
    return True


def newest(limit: int = 50) -> list[Ticket]:
    """Return the newest tickets first."""
    return list(
        db.session.scalars(
            sa.select(Ticket).order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(limit)
        )
    )
