"""A case (one application), the history of its status, the lookups made by phone, feed clients."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from centre.extensions import Model

STATUSES = (
    "received",
    "in_review",
    "awaiting_documents",
    "ready_for_collection",
    "collected",
    "rejected",
    "cancelled",
)
# A change to one of these is news the applicant must act on: they get an SMS.
NEWSWORTHY = ("awaiting_documents", "ready_for_collection")
OUTCOMES = (
    "found",
    "bad_check_digit",
    "unknown_reference",
    "wrong_birth_date",
    "refused",
    "ticket_found",
    "ticket_unknown",
    "ticket_not_theirs",
)


class Case(Model):
    """An application as the back office last reported it."""

    __tablename__ = "cases"
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    # Ten digits, the last a Luhn check digit; the unique index is the lookup's only path.
    reference: so.Mapped[str] = so.mapped_column(sa.String(10), unique=True)
    service: so.Mapped[str] = so.mapped_column(sa.String(80))
    status: so.Mapped[str] = so.mapped_column(sa.String(24))
    # Space-separated document codes (see cases.wording.DOCUMENTS), while awaiting documents.
    missing_documents: so.Mapped[str] = so.mapped_column(sa.String(400), default="")
    consulate: so.Mapped[str | None] = so.mapped_column(sa.String(80))
    expected_date: so.Mapped[date | None]
    # HMAC of the reference and the date of birth: enough to verify a caller, useless to a
    # reader of the table, and never the date itself.
    birth_date_proof: so.Mapped[str] = so.mapped_column(sa.String(64))
    language: so.Mapped[str | None] = so.mapped_column(sa.String(5))
    phone_hash: so.Mapped[str | None] = so.mapped_column(sa.String(64), index=True)
    # The number itself, only to text the applicant news of their case; masked wherever shown.
    phone_number: so.Mapped[str | None] = so.mapped_column(sa.String(32))
    # The back office's time of the change now shown (naive UTC); older changes only add history.
    updated_at: so.Mapped[datetime]
    created_at: so.Mapped[datetime]


class CaseEvent(Model):
    """One status change as a feed reported it; a second report of it changes nothing."""

    __tablename__ = "case_events"
    __table_args__ = (sa.UniqueConstraint("case_id", "changed_at"),)
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    case_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"))
    status: so.Mapped[str] = so.mapped_column(sa.String(24))
    changed_at: so.Mapped[datetime]  # the back office's updated_at, naive UTC
    received_at: so.Mapped[datetime]
    source: so.Mapped[str] = so.mapped_column(sa.String(60))  # "csv" or "api:<client>"
    # "sms" when the applicant was texted about this change, "no_phone" when they could not be.
    notified: so.Mapped[str | None] = so.mapped_column(sa.String(10))


class CaseLookup(Model):
    """One attempt to look a case up by phone, good or bad; never the date of birth."""

    __tablename__ = "case_lookups"
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    at: so.Mapped[datetime] = so.mapped_column(index=True)
    call_sid: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    caller_hash: so.Mapped[str | None] = so.mapped_column(sa.String(64), index=True)
    outcome: so.Mapped[str] = so.mapped_column(sa.String(20))
    # A keyed hash of the reference typed: repeated attempts on one case can be traced
    # without the log naming it.
    reference_hash: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    # The case found, for a good lookup only: the agent's ticket page links the call to it.
    case_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("cases.id", ondelete="SET NULL")
    )


class FeedClient(Model):
    """A back-office system allowed to push status changes, known by its token's hash."""

    __tablename__ = "case_feed_clients"
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(50), unique=True)
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    created_at: so.Mapped[datetime]
    revoked_at: so.Mapped[datetime | None]
    last_used_at: so.Mapped[datetime | None]
