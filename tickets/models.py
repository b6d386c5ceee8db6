"""The ticket, its recordings and, for callbacks, its booking."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from centre.extensions import db

TYPES = ("complaint", "suggestion", "observation", "callback", "escalated_call")
STATUSES = ("new", "open", "waiting", "resolved", "closed")


class Ticket(db.Model):
    """A caller's request that a person must handle."""

    __tablename__ = "tickets"
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    reference: so.Mapped[str] = so.mapped_column(sa.String(12), unique=True)
    type: so.Mapped[str] = so.mapped_column(sa.String(20), index=True)
    status: so.Mapped[str] = so.mapped_column(sa.String(20), default="new", index=True)
    language: so.Mapped[str] = so.mapped_column(sa.String(5), index=True)
    country: so.Mapped[str | None] = so.mapped_column(sa.String(2))
    caller_masked: so.Mapped[str] = so.mapped_column(sa.String(40))
    caller_hash: so.Mapped[str | None] = so.mapped_column(sa.String(64), index=True)
    call_sid: so.Mapped[str | None] = so.mapped_column(sa.String(64), index=True)
    # "<CallSid>:<step>" for tickets opened by the phone menu: a replayed webhook cannot open two.
    source_key: so.Mapped[str | None] = so.mapped_column(sa.String(80), unique=True)
    ivr_path: so.Mapped[list[dict[str, Any]]] = so.mapped_column(sa.JSON, default=list)
    has_message: so.Mapped[bool] = so.mapped_column(default=False)
    created_at: so.Mapped[datetime] = so.mapped_column(index=True)
    updated_at: so.Mapped[datetime]
    recordings: so.Mapped[list[Recording]] = so.relationship(
        back_populates="ticket", order_by="Recording.id"
    )
    callback: so.Mapped[Callback | None] = so.relationship(back_populates="ticket")


class Recording(db.Model):
    """A caller's recorded message, attached once whatever Twilio retries."""

    __tablename__ = "recordings"
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    ticket_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("tickets.id"), index=True)
    recording_sid: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    url: so.Mapped[str] = so.mapped_column(sa.String(500))
    duration: so.Mapped[int | None]
    created_at: so.Mapped[datetime]
    ticket: so.Mapped[Ticket] = so.relationship(back_populates="recordings")


class Callback(db.Model):
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
    ticket: so.Mapped[Ticket] = so.relationship(back_populates="callback")
