"""Call state, one row per CallSid, so any worker can serve a call's next webhook."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.ext.mutable import MutableDict

from centre.extensions import Model

FIRST_STEP = 1  # the step of a new call; action URLs carry the step the call is at


class Call(Model):
    """A call and where it stands in the menu."""

    __tablename__ = "calls"
    __table_args__ = (
        # The calls still going, for the wallboard: a year of ended calls stays out of it.
        sa.Index(
            "ix_calls_going",
            "started_at",
            postgresql_where=sa.text("ended_at IS NULL"),
            sqlite_where=sa.text("ended_at IS NULL"),
        ),
    )
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    call_sid: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    caller_hash: so.Mapped[str | None] = so.mapped_column(sa.String(64), index=True)
    caller_masked: so.Mapped[str] = so.mapped_column(sa.String(40))
    dialled: so.Mapped[str] = so.mapped_column(sa.String(32))
    country: so.Mapped[str | None] = so.mapped_column(sa.String(2), index=True)
    language: so.Mapped[str | None] = so.mapped_column(sa.String(5))
    # The language order offered in the language menu, e.g. "es ar fr it nl de en".
    offered: so.Mapped[str] = so.mapped_column(sa.String(40))
    node: so.Mapped[str] = so.mapped_column(sa.String(40))
    # Moved on only by ivr.state.save's step-guarded UPDATE, once per step the caller takes;
    # action URLs carry it, so a replayed request is recognised. Nothing else may change it
    # (it is no ORM version counter: an ORM flush of the row, e.g. by the privacy job, would
    # bump it and make the caller's next keypress look like a replay).
    step: so.Mapped[int] = so.mapped_column(default=FIRST_STEP)
    retries: so.Mapped[int] = so.mapped_column(default=0)
    # Small per-call facts (chosen feedback type, ticket id, service being read...); changes in
    # place are tracked, so an effect may simply update it.
    context: so.Mapped[dict[str, Any]] = so.mapped_column(
        MutableDict.as_mutable(sa.JSON), default=dict
    )
    started_at: so.Mapped[datetime] = so.mapped_column(index=True)
    ended_at: so.Mapped[datetime | None]
    status: so.Mapped[str] = so.mapped_column(sa.String(20), default="in-progress")
    duration: so.Mapped[int | None]
    outcome: so.Mapped[str | None] = so.mapped_column(sa.String(20))
    queue_entered_at: so.Mapped[datetime | None]
    queue_left_at: so.Mapped[datetime | None]
    queue_result: so.Mapped[str | None] = so.mapped_column(sa.String(20))
    # The agent who took this queued caller, when their phone was rung, and when they answered:
    # while it rings, neither the caller nor the agent is offered to anyone else.
    taken_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("staff_users.id"), index=True
    )
    taken_at: so.Mapped[datetime | None]
    agent_answered_at: so.Mapped[datetime | None]


class CallEvent(Model):
    """One step of a call: the node it left, what the caller did, the node it reached."""

    __tablename__ = "call_events"
    __table_args__ = (sa.UniqueConstraint("call_id", "step"),)
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    # Found by the unique (call_id, step) index: no second index on call_id alone.
    call_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("calls.id", ondelete="CASCADE"))
    step: so.Mapped[int]
    from_node: so.Mapped[str] = so.mapped_column(sa.String(40))
    to_node: so.Mapped[str] = so.mapped_column(sa.String(40))
    # "1", "*", "speech" or "timeout": never what the caller said, which may be personal.
    caller_input: so.Mapped[str] = so.mapped_column(sa.String(20))
    created_at: so.Mapped[datetime]
    # What the agent reads of the step, for the caller's story on their ticket: the words
    # recognised ("said"), the guide answer heard or texted, the notices heard. Personal:
    # emptied when the caller is forgotten.
    detail: so.Mapped[dict[str, Any] | None] = so.mapped_column(sa.JSON(none_as_null=True))


class CallerPreference(Model):
    """The last language of a returning caller, keyed by an HMAC of their number."""

    __tablename__ = "caller_preferences"
    caller_hash: so.Mapped[str] = so.mapped_column(sa.String(64), primary_key=True)
    language: so.Mapped[str] = so.mapped_column(sa.String(5))
    updated_at: so.Mapped[datetime]
