"""The audit log: every change a staff member makes, every login and every refusal.

Entries are only ever added. The app refuses to update or delete them, whether through a
loaded entry or a bulk statement, so no page or command can rewrite the past.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from centre.clock import now, to_storage
from centre.extensions import db
from staff.models import AuditEntry, StaffUser

PAGE_SIZE = 50


class AuditLogIsAppendOnly(PermissionError):
    """Something tried to change or remove an audit entry."""


def record(
    action: str,
    target_type: str | None = None,
    target_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    actor: StaffUser | None = None,
    actor_email: str | None = None,
) -> AuditEntry:
    """Add an entry for `action` by `actor` (the logged-in staff member by default)."""
    if actor is None and has_request_context():
        actor = g.get("staff")
    address = (request.remote_addr or "")[:45] if has_request_context() else "cli"
    entry = AuditEntry(
        at=to_storage(now()),
        actor_id=actor.id if actor else None,
        actor_email=(actor.email if actor else actor_email or "")[:254],
        action=action[:40],
        target_type=target_type,
        target_id=target_id,
        before=before,
        after=after,
        address=address,
    )
    db.session.add(entry)
    return entry


def changes(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return only the fields that differ, as (before, after)."""
    keys = [key for key in after if before.get(key) != after.get(key)]
    return {key: before.get(key) for key in keys}, {key: after[key] for key in keys}


def entries(
    action: str = "", actor: str = "", before_id: int | None = None, limit: int = PAGE_SIZE
) -> list[AuditEntry]:
    """Return entries newest first, filtered by action prefix and actor email, from `before_id`."""
    query = sa.select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if action:
        query = query.where(AuditEntry.action.startswith(action, autoescape=True))
    if actor:
        query = query.where(AuditEntry.actor_email == actor.strip().lower())
    if before_id:
        query = query.where(AuditEntry.id < before_id)
    return list(db.session.scalars(query))


def history(target_type: str, target_ids: list[int]) -> list[AuditEntry]:
    """Return the entries about these targets, oldest first."""
    query = (
        sa.select(AuditEntry)
        .where(AuditEntry.target_type == target_type, AuditEntry.target_id.in_(target_ids))
        .order_by(AuditEntry.id)
    )
    return list(db.session.scalars(query))


@event.listens_for(AuditEntry, "before_update")
def _refuse_update(mapper: object, connection: object, target: AuditEntry) -> None:
    raise AuditLogIsAppendOnly("audit entries cannot be changed")


@event.listens_for(AuditEntry, "before_delete")
def _refuse_delete(mapper: object, connection: object, target: AuditEntry) -> None:
    raise AuditLogIsAppendOnly("audit entries cannot be deleted")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_changes(state: ORMExecuteState) -> None:
    if (state.is_update or state.is_delete) and any(
        mapper.class_ is AuditEntry for mapper in state.all_mappers
    ):
        raise AuditLogIsAppendOnly("audit entries cannot be changed or deleted")
