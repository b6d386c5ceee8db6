"""The audit log: every change a staff member makes, every login and every refusal.

Entries are only ever added. The app refuses to update or delete them, whether through a
loaded entry or a bulk statement, so no page or command can rewrite the past. The one
exception: `tally` adds to the repeat count of a refusal (failed logins, stale forms).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask import g, has_request_context, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState

from centre import languages
from centre.clock import CENTRE_TZ, now, to_storage
from centre.extensions import db, rows_changed
from centre.formatting import page_datetime, page_day, page_locale
from staff.models import AuditEntry, StaffUser

PAGE_SIZE = 50
# Repeats of one refusal from one address within this time of its entry add to that entry.
TALLY_WINDOW = timedelta(minutes=15)

# Every action the log records, as staff read it (every domain's: the log is one page).
ACTION_NAMES = {
    "access.refused": _l("Access refused"),
    "csrf.refused": _l("Expired form refused"),
    "login.success": _l("Logged in"),
    "login.failed": _l("Failed login"),
    "login.throttled": _l("Login blocked after too many failures"),
    "logout": _l("Logged out"),
    "user.create": _l("Account created"),
    "user.update": _l("Account changed"),
    "user.role": _l("Role changed"),
    "user.password": _l("Password changed"),
    "user.available": _l("Availability for calls changed"),
    "ticket.note": _l("Note written"),
    "ticket.status": _l("Status changed"),
    "ticket.claim": _l("Ticket claimed"),
    "ticket.release": _l("Ticket released"),
    "ticket.assign": _l("Ticket handed over"),
    "ticket.merge": _l("Duplicates merged into the ticket"),
    "ticket.merged": _l("Merged into another ticket"),
    "ticket.callback": _l("Callback placed"),
    "ticket.callback_outcome": _l("Callback outcome recorded"),
    "ticket.take_call": _l("Queued caller taken"),
    "privacy.purge_recordings": _l("Old recordings deleted"),
    "privacy.anonymise": _l("Caller anonymised"),
    "guide.create": _l("Guide service created"),
    "guide.draft": _l("Guide text draft saved"),
    "guide.publish": _l("Guide text published"),
    "guide.review": _l("Guide text marked as reviewed"),
    "guide.restore": _l("Guide text version restored"),
    "guide.facts_draft": _l("Service facts draft saved"),
    "guide.facts_publish": _l("Service facts published"),
    "guide.facts_restore": _l("Service facts version restored"),
    "guide.synonym": _l("Synonym added"),
    "guide.example": _l("Example question added"),
    "guide.dismiss": _l("Unmatched phrase dismissed"),
    "guide.category": _l("Guide category changed"),
    "centre.hours": _l("Opening hours changed"),
    "centre.holiday": _l("Holiday confirmed or moved"),
    "centre.holiday_add": _l("Holiday added"),
    "centre.holidays_loaded": _l("Holidays loaded for the coming year"),
    "outbox.resend": _l("Message sent again"),
    "centre.closure_add": _l("Closure added"),
    "centre.closure_remove": _l("Closure removed"),
    "centre.notice_add": _l("Service notice added"),
    "centre.notice_remove": _l("Service notice removed"),
    "centre.notice_edit": _l("Service notice changed"),
}
# What an entry is about, as staff read it.
TARGET_NAMES = {
    "ticket": _l("Ticket"),
    "user": _l("Account"),
    "guide_service": _l("Guide service"),
    "guide_phrase": _l("Unmatched phrase"),
    "guide_category": _l("Guide category"),
    "weekday": _l("Weekday"),
    "holiday": _l("Holiday"),
    "closure": _l("Closure"),
    "notice": _l("Service notice"),
    "outbound_message": _l("Outgoing message"),
}


# The fields entries keep before and after a change, as staff read them; `version` is the
# optimistic lock's counter, not something a person changed, and is left out.
FIELD_NAMES = {
    "status": _l("status"),
    "assignee": _l("assigned to"),
    "merged_into": _l("merged into"),
    "merged": _l("merged"),
    "outcome": _l("outcome"),
    "call": _l("call"),
    "email": _l("email"),
    "role": _l("role"),
    "languages": _l("languages"),
    "locale": _l("page language"),
    "phone": _l("phone"),
    "active": _l("active"),
    "available": _l("available for calls"),
    "starts": _l("starts"),
    "ends": _l("ends"),
    "countries": _l("countries"),
    "numbers": _l("numbers"),
    "texts": _l("texts"),
    "reason": _l("reason"),
    "topic": _l("topic"),
    "urgent": _l("urgent"),
    "kind": _l("kind"),
    "day": _l("day"),
    "days": _l("days"),
    "name": _l("name"),
    "note_length": _l("note length (characters)"),
}
HIDDEN_FIELDS = {"version", "note_id"}
# Values written left to right whatever the page's direction (a number, an address).
LTR_FIELDS = {"phone", "numbers", "email", "assignee", "merged_into", "merged"}
# How other domains name their targets (ticket ids -> references and links) and values.
Describer = Callable[[list[int]], dict[int, tuple[str, str | None]]]
DESCRIBERS: dict[str, Describer] = {}
VALUE_NAMES: dict[str, Mapping[str, Any]] = {}


def register_target(target_type: str, describer: Describer) -> None:
    """Let a domain name its targets: ids -> (what a person reads, a link or None)."""
    DESCRIBERS[target_type] = describer


def register_values(field: str, names: Mapping[str, Any]) -> None:
    """Let a domain name the values of one of its fields ("status": {"new": "New", ...})."""
    VALUE_NAMES[field] = names


def _users(ids: list[int]) -> dict[int, tuple[str, str | None]]:
    rows = db.session.execute(sa.select(StaffUser.id, StaffUser.email).where(StaffUser.id.in_(ids)))
    return {ident: (email, url_for("staff.edit_user", user_id=ident)) for ident, email in rows}


register_target("user", _users)
register_values("kind", {"closure": _l("Closure"), "maintenance": _l("Maintenance")})
register_values(
    "role",
    {
        "agent": _l("Agent"),
        "supervisor": _l("Supervisor"),
        "editor": _l("Editor"),
        "admin": _l("Administrator"),
    },
)


def targets(found: Iterable[AuditEntry]) -> dict[tuple[str, int], tuple[str, str | None]]:
    """Return the name (and link) of what each entry is about, looked up once per kind."""
    wanted: dict[str, set[int]] = {}
    for entry in found:
        if entry.target_type and entry.target_id is not None:
            wanted.setdefault(entry.target_type, set()).add(entry.target_id)
    named = {}
    for kind, ids in wanted.items():
        describer = DESCRIBERS.get(kind)
        if describer is not None:
            for ident, name in describer(sorted(ids)).items():
                named[(kind, ident)] = name
    return named


def _value(field: str, value: Any) -> str:
    """Return a value as a person reads it."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if field in VALUE_NAMES and isinstance(value, str):
        return str(VALUE_NAMES[field].get(value, value))
    if field in ("languages", "locale") and isinstance(value, str):
        return ", ".join(languages.name_in(code, page_locale()) for code in value.split())
    if isinstance(value, dict):
        return ", ".join(
            languages.name_in(code, page_locale()) if code in languages.BY_CODE else str(code)
            for code in value
        )
    if isinstance(value, list):
        return ", ".join(_value(field, item) for item in value)
    text = str(value)
    moment = _moment(text)
    if moment is not None:
        return moment
    return text if len(text) <= 80 else text[:79] + "…"


def _moment(text: str) -> str | None:
    """Return an ISO date or date-time the log kept, as the page writes dates; else None."""
    if not (len(text) >= 10 and text[4] == "-" and text[7] == "-" and text[:4].isdigit()):
        return None
    try:
        if len(text) == 10:
            return page_day(date.fromisoformat(text))
        return page_datetime(datetime.fromisoformat(text))
    except ValueError:
        return None


def changed_fields(
    before: Mapping[str, Any] | None, after: Mapping[str, Any] | None
) -> list[tuple[str, str | None, str | None, str]]:
    """Return what an entry changed, field by field, in words: (field, before, after, direction).

    `before` is None for a field only set, `after` None for one only removed; the direction
    is the one the values are written in ("ltr", "auto").
    """
    before, after = before or {}, after or {}
    found: list[tuple[str, str | None, str | None, str]] = []
    for field in dict.fromkeys([*before, *after]):
        if field in HIDDEN_FIELDS:
            continue
        name = str(FIELD_NAMES.get(field, field.replace("_", " ")))
        old, new = before.get(field), after.get(field)
        direction = "ltr" if field in LTR_FIELDS else "auto"
        if field in before and field in after:
            if old != new:
                found.append((name, _value(field, old), _value(field, new), direction))
        elif field in after:
            found.append((name, None, _value(field, new), direction))
        else:
            found.append((name, _value(field, old), None, direction))
    return found


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


def tally(
    action: str,
    target_type: str | None = None,
    target_id: int | None = None,
    after: dict[str, Any] | None = None,
    actor_email: str = "",
) -> None:
    """Record a refusal, counting it on the entry of its repeats if one is recent enough.

    One entry per action, address, person, target and `after` per `TALLY_WINDOW`, with how many times
    and the last time: a stranger posting failed logins or stale forms in a loop keeps the
    log readable and bounded instead of writing a row per attempt.
    """
    actor = g.get("staff") if has_request_context() else None
    address = (request.remote_addr or "")[:45] if has_request_context() else "cli"
    email = (actor.email if actor else actor_email)[:254]
    moment = to_storage(now())
    repeated = (
        sa.select(AuditEntry.id)
        .where(
            AuditEntry.action == action,
            AuditEntry.address == address,
            AuditEntry.actor_email == email,
            AuditEntry.actor_id.is_not_distinct_from(actor.id if actor else None),
            AuditEntry.target_type.is_not_distinct_from(target_type),
            AuditEntry.target_id.is_not_distinct_from(target_id),
            # JSON has no equality in PostgreSQL; its text is what was written, as here (an
            # empty `after` is written as JSON's null).
            sa.func.coalesce(sa.cast(AuditEntry.after, sa.Text), "null") == json.dumps(after),
            AuditEntry.at > moment - TALLY_WINDOW,
        )
        .order_by(AuditEntry.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    counted = db.session.execute(
        sa.update(AuditEntry)
        .where(AuditEntry.id == repeated)
        .values(occurrences=AuditEntry.occurrences + 1, last_at=moment)
        .execution_options(synchronize_session=False, audit_tally=True)
    )
    if not rows_changed(counted):
        record(action, target_type, target_id, after=after, actor=actor, actor_email=email)


def changes(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return only the fields that differ, as (before, after)."""
    keys = [key for key in after if before.get(key) != after.get(key)]
    return {key: before.get(key) for key in keys}, {key: after[key] for key in keys}


def entries(
    action: str = "",
    actor: str = "",
    before_id: int | None = None,
    limit: int = PAGE_SIZE,
    first: date | None = None,
    last: date | None = None,
) -> list[AuditEntry]:
    """Return entries newest first, filtered by action (or its prefix), actor and Moroccan days."""
    query = sa.select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if first is not None:
        query = query.where(
            AuditEntry.at >= to_storage(datetime.combine(first, time(0), CENTRE_TZ))
        )
    if last is not None:
        end = datetime.combine(last + timedelta(days=1), time(0), CENTRE_TZ)
        query = query.where(AuditEntry.at < to_storage(end))
    if action in ACTION_NAMES:
        query = query.where(AuditEntry.action == action)
    elif action:
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


def refuse_bulk_changes(state: ORMExecuteState) -> None:
    """Refuse an UPDATE or DELETE statement on the audit log (only a repeat's tally may count)."""
    if (state.is_update or state.is_delete) and any(
        mapper.class_ is AuditEntry for mapper in state.all_mappers
    ):
        if state.is_update and state.execution_options.get("audit_tally"):
            return  # `tally` counting one more repeat of a refusal: nothing else changes
        raise AuditLogIsAppendOnly("audit entries cannot be changed or deleted")
