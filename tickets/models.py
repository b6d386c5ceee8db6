"""The ticket, its recordings and, for callbacks, its booking."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from centre import phones
from centre.extensions import Model
from staff.models import StaffUser

TYPES = ("complaint", "suggestion", "observation", "callback", "escalated_call")
STATUSES = ("new", "open", "waiting", "resolved", "closed")
ACTIVE_STATUSES = ("new", "open", "waiting")
DONE_STATUSES = ("resolved", "closed")
CALLBACK_OUTCOMES = ("reached", "no_answer", "rescheduled")
# What one call may ask of a person, most pressing first: a ticket carrying several requests
# takes the type of its most pressing one (a callback booked is what the desk must do next).
PRECEDENCE = ("callback", "escalated_call", "complaint", "suggestion", "observation")
# sent: waiting for the caller's answer; clarified: they were told once what we can read;
# answered; skipped: not sent (no number, the number opted out, a survey already waiting).
SURVEY_STATES = ("sent", "clarified", "answered", "skipped")
# ACTIVE_STATUSES as SQL: the predicate of the partial indexes on the work still to do.
ACTIVE_PREDICATE = "status IN (" + ", ".join(f"'{status}'" for status in ACTIVE_STATUSES) + ")"


class Ticket(Model):
    """A caller's request that a person must handle."""

    __tablename__ = "tickets"
    __table_args__ = (
        # The desk's queue: one ordered scan, whatever the agent's languages and filters.
        sa.Index("ix_tickets_queue", "queue_key", "id"),
        *(
            sa.Index(
                name,
                *columns,
                "queue_key",
                "id",
                postgresql_where=sa.text(ACTIVE_PREDICATE),
                sqlite_where=sa.text(ACTIVE_PREDICATE),
            )
            # The work still to do, by itself and by the filters agents use most.
            for name, columns in (
                ("ix_tickets_queue_active", ()),
                ("ix_tickets_queue_active_language", ("language",)),
                ("ix_tickets_queue_active_type", ("type",)),
                ("ix_tickets_queue_active_country", ("country",)),
            )
        ),
        # The wallboard's deadlines missed today, among the work still to do.
        sa.Index(
            "ix_tickets_due_active",
            "due_at",
            postgresql_where=sa.text(ACTIVE_PREDICATE),
            sqlite_where=sa.text(ACTIVE_PREDICATE),
        ),
    )
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    reference: so.Mapped[str] = so.mapped_column(sa.String(12), unique=True)
    type: so.Mapped[str] = so.mapped_column(sa.String(20), index=True)
    status: so.Mapped[str] = so.mapped_column(sa.String(20), default="new", index=True)
    language: so.Mapped[str] = so.mapped_column(sa.String(5), index=True)
    country: so.Mapped[str | None] = so.mapped_column(sa.String(2))
    caller_masked: so.Mapped[str] = so.mapped_column(sa.String(40))
    caller_hash: so.Mapped[str | None] = so.mapped_column(sa.String(64), index=True)
    # The number itself, to answer the caller (see tickets.contact); erased with the hash.
    caller_number: so.Mapped[str | None] = so.mapped_column(sa.String(32))
    call_sid: so.Mapped[str | None] = so.mapped_column(sa.String(64), index=True)
    # "<CallSid>:<step>" for tickets opened by the phone menu: a replayed webhook cannot open two.
    source_key: so.Mapped[str | None] = so.mapped_column(sa.String(80), unique=True)
    ivr_path: so.Mapped[list[dict[str, Any]]] = so.mapped_column(sa.JSON, default=list)
    # What the caller asked for during the call, in order: [{"type", "at", "key"}], `key`
    # being the step's source key (a replayed step adds nothing). None before one call, one ticket.
    requests: so.Mapped[list[dict[str, Any]] | None] = so.mapped_column(sa.JSON(none_as_null=True))
    has_message: so.Mapped[bool] = so.mapped_column(default=False)
    created_at: so.Mapped[datetime] = so.mapped_column(index=True)
    updated_at: so.Mapped[datetime]
    # Bumped by every change: a save made from an older page is refused (optimistic locking).
    version: so.Mapped[int] = so.mapped_column(default=1, server_default="1")
    assignee_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("staff_users.id"), index=True
    )
    merged_into_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("tickets.id"), index=True
    )
    # The SLA, counted in opening hours: when it falls due, and when it starts to stand out.
    due_at: so.Mapped[datetime | None]
    warn_at: so.Mapped[datetime | None]
    # Where the ticket stands in the desk's queue (see tickets.sla.queue_key).
    queue_key: so.Mapped[int] = so.mapped_column(sa.BigInteger, default=0, server_default="0")
    # The satisfaction survey texted once the ticket is resolved (see tickets.survey): who
    # resolved it, where the survey stands, the caller's answer (1 to 5) and when it came.
    resolved_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("staff_users.id"))
    survey_state: so.Mapped[str | None] = so.mapped_column(sa.String(10))
    survey_sent_at: so.Mapped[datetime | None]
    satisfaction: so.Mapped[int | None]
    satisfaction_at: so.Mapped[datetime | None] = so.mapped_column(index=True)
    recordings: so.Mapped[list[Recording]] = so.relationship(
        back_populates="ticket", order_by="Recording.id"
    )
    callback: so.Mapped[Callback | None] = so.relationship(back_populates="ticket")
    notes: so.Mapped[list[TicketNote]] = so.relationship(
        back_populates="ticket", order_by="TicketNote.id"
    )
    assignee: so.Mapped[StaffUser | None] = so.relationship(foreign_keys=[assignee_id])
    merged_into: so.Mapped[Ticket | None] = so.relationship(remote_side=[id])

    __mapper_args__ = {"version_id_col": version}

    @property
    def request_types(self) -> list[str]:
        """Return the types of what the caller asked for during the call, in order."""
        return [str(r["type"]) for r in self.requests or ()] or [self.type]

    @property
    def anonymised(self) -> bool:
        """Tell whether the caller's personal data was erased at their request."""
        return self.caller_masked == phones.ANONYMISED


class TicketNote(Model):
    """A note on a ticket: an agent's words (a note, a resolution), or what the desk recorded.

    What the desk records (a merge, a callback's outcome) is kept as its `kind` and `params`,
    not as text, so that each reader reads it in their own language (see desk.desk.note_text).
    """

    __tablename__ = "ticket_notes"
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    ticket_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("tickets.id"), index=True)
    author_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("staff_users.id"))
    kind: so.Mapped[str] = so.mapped_column(sa.String(20), default="note")
    body: so.Mapped[str] = so.mapped_column(sa.Text)
    # {"outcome": "reached"} or {"references": [...]}; None for an agent's words.
    params: so.Mapped[dict[str, Any] | None] = so.mapped_column(sa.JSON(none_as_null=True))
    created_at: so.Mapped[datetime]
    ticket: so.Mapped[Ticket] = so.relationship(back_populates="notes")
    author: so.Mapped[StaffUser | None] = so.relationship()


class CallbackAttempt(Model):
    """An agent's "call back": the call placed through Twilio, then its outcome."""

    __tablename__ = "callback_attempts"
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    ticket_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("tickets.id"), index=True)
    agent_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("staff_users.id"))
    message_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("outbound_messages.id"))
    outcome: so.Mapped[str | None] = so.mapped_column(sa.String(20))
    requested_at: so.Mapped[datetime] = so.mapped_column(index=True)
    outcome_at: so.Mapped[datetime | None] = so.mapped_column(index=True)
    agent: so.Mapped[StaffUser] = so.relationship()
    ticket: so.Mapped[Ticket] = so.relationship()


class Recording(Model):
    """A caller's recorded message, attached once whatever Twilio retries."""

    __tablename__ = "recordings"
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    ticket_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("tickets.id"), index=True)
    recording_sid: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    url: so.Mapped[str] = so.mapped_column(sa.String(500))
    duration: so.Mapped[int | None]
    created_at: so.Mapped[datetime]
    # The audio itself when the app holds it (development, demo data); else Twilio does.
    audio: so.Mapped[bytes | None] = so.mapped_column(sa.LargeBinary, deferred=True)
    # What Twilio's transcription heard, when it was asked for and delivered.
    transcript: so.Mapped[str | None] = so.mapped_column(sa.Text)
    ticket: so.Mapped[Ticket] = so.relationship(back_populates="recordings")

    @property
    def deleted(self) -> bool:
        """Tell whether the audio was deleted (retention or erasure): only this row is left."""
        return not self.url


class Callback(Model):
    """When a callback ticket's caller is to be rung back.

    `priority_at` is when the caller first asked for a human (the time they joined the
    queue, if they left it for a callback): callbacks are served in that order, so leaving
    the queue never costs a caller their place nor jumps anyone who queued earlier.
    """

    __tablename__ = "callbacks"
    ticket_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("tickets.id"), primary_key=True)
    number: so.Mapped[str] = so.mapped_column(
        sa.String(32)
    )  # needed to call back; anonymised later
    priority_at: so.Mapped[datetime] = so.mapped_column(index=True)
    # The earliest time the callback may be given: when it was asked for, then the time the
    # caller was last told. Reassignments only ever move a caller later, never earlier.
    not_before: so.Mapped[datetime]
    scheduled_at: so.Mapped[datetime] = so.mapped_column(index=True)
    state: so.Mapped[str] = so.mapped_column(sa.String(20), default="booked", index=True)
    # A text shortly before the call, if the caller asked for it when booking: None (not
    # asked), "asked", then "sent" (asked again when the callback moves).
    reminder: so.Mapped[str | None] = so.mapped_column(sa.String(10))
    ticket: so.Mapped[Ticket] = so.relationship(back_populates="callback")


class SurveyOptOut(Model):
    """A number that asked for no more surveys (STOP), known only by its keyed hash.

    Kept when a caller is forgotten: it is what protects them from further texts.
    """

    __tablename__ = "survey_opt_outs"
    number_hash: so.Mapped[str] = so.mapped_column(sa.String(64), primary_key=True)
    at: so.Mapped[datetime]
