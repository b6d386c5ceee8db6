"""Staff accounts, their server-side sessions, and the append-only audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from centre.extensions import Model

ROLES = ("agent", "supervisor", "editor", "admin")


class StaffUser(Model):
    """A person who logs in to the staff pages."""

    __tablename__ = "staff_users"
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    email: so.Mapped[str] = so.mapped_column(sa.String(254), unique=True)
    password_hash: so.Mapped[str] = so.mapped_column(sa.String(200))
    role: so.Mapped[str] = so.mapped_column(sa.String(20))
    # The languages an agent speaks, as codes separated by spaces: "fr ar".
    languages: so.Mapped[str] = so.mapped_column(sa.String(40), default="")
    locale: so.Mapped[str | None] = so.mapped_column(sa.String(5))
    phone: so.Mapped[str | None] = so.mapped_column(sa.String(32))
    active: so.Mapped[bool] = so.mapped_column(default=True)
    # Ready to take a queued call on `phone`; set by the agent from the desk.
    available: so.Mapped[bool] = so.mapped_column(default=False)
    created_at: so.Mapped[datetime]
    updated_at: so.Mapped[datetime]
    password_changed_at: so.Mapped[datetime]

    @property
    def language_codes(self) -> list[str]:
        """Return the agent's languages as a list of codes."""
        return self.languages.split()

    def snapshot(self) -> dict[str, Any]:
        """Return what the audit log keeps of the account (never the password hash)."""
        return {
            "email": self.email,
            "role": self.role,
            "languages": self.languages,
            "locale": self.locale,
            "phone": self.phone,
            "active": self.active,
        }


class StaffSession(Model):
    """A login: the cookie holds a random token, this row its hash, so logout ends it for good."""

    __tablename__ = "staff_sessions"
    id: so.Mapped[str] = so.mapped_column(sa.String(64), primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("staff_users.id"), index=True)
    created_at: so.Mapped[datetime]
    last_seen_at: so.Mapped[datetime]
    ended_at: so.Mapped[datetime | None]
    address: so.Mapped[str] = so.mapped_column(sa.String(45), default="")
    user: so.Mapped[StaffUser] = so.relationship()


class AuditEntry(Model):
    """One thing a staff member did or was refused: who, what, when, before and after."""

    __tablename__ = "audit_entries"
    __table_args__ = (sa.Index("ix_audit_entries_target", "target_type", "target_id", "id"),)
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    at: so.Mapped[datetime] = so.mapped_column(index=True)
    actor_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("staff_users.id"), index=True)
    # Kept as written at the time: the entry stays readable if the account changes.
    actor_email: so.Mapped[str] = so.mapped_column(sa.String(254))
    action: so.Mapped[str] = so.mapped_column(sa.String(40), index=True)
    target_type: so.Mapped[str | None] = so.mapped_column(sa.String(30))
    target_id: so.Mapped[int | None]
    before: so.Mapped[dict[str, Any] | None] = so.mapped_column(sa.JSON)
    after: so.Mapped[dict[str, Any] | None] = so.mapped_column(sa.JSON)
    address: so.Mapped[str] = so.mapped_column(sa.String(45), default="")
    # A refusal repeated from one address is one entry counting its repeats (`audit.tally`).
    occurrences: so.Mapped[int] = so.mapped_column(default=1, server_default="1")
    last_at: so.Mapped[datetime | None]


class KeptForm(Model):
    """A form posted after its author's session lapsed, kept until they log in again."""

    __tablename__ = "staff_kept_forms"
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("staff_users.id"), index=True)
    # Where the form was posted (its action), and the page it came from.
    action: so.Mapped[str] = so.mapped_column(sa.String(300))
    page: so.Mapped[str] = so.mapped_column(sa.String(300))
    # Every field as posted (name -> list of values), the CSRF token left out.
    fields: so.Mapped[dict[str, Any]] = so.mapped_column(sa.JSON)
    created_at: so.Mapped[datetime] = so.mapped_column(index=True)
