"""What an agent does to a ticket: notes, status, assignment, merging, callbacks, queued calls.

Every change checks the version the agent's page showed (optimistic locking): a save made
from an older page is refused with `Conflict`, never silently laid over another's change.
Every change is written to the audit log, which is also the ticket's history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext

from centre import messaging
from centre.clock import now, to_storage
from centre.extensions import db
from centre.formatting import page_datetime
from centre.refusals import Refused
from centre.urls import callback_url
from desk.queue import DESK_ROLES, can_see, visible_languages
from desk.resolution import tell_resolved
from ivr import state
from staff import accounts, audit
from staff.models import AuditEntry, StaffUser
from tickets import callbacks, contact
from tickets.models import (
    ACTIVE_STATUSES,
    CALLBACK_OUTCOMES,
    DONE_STATUSES,
    STATUSES,
    CallbackAttempt,
    Recording,
    Ticket,
    TicketNote,
)
from tickets.signals import ticket_resolved

NOTE_MAX = 5000
RESCHEDULE_AFTER = timedelta(hours=1)


class Conflict(Exception):
    """Someone else changed the ticket since the agent's page was loaded."""

    def __init__(self, ticket: Ticket, seen_version: int) -> None:
        """Keep the ticket as it is now and the version the agent saw."""
        super().__init__(f"ticket {ticket.id} is at version {ticket.version}, not {seen_version}")
        self.ticket = ticket
        self.seen_version = seen_version


def snapshot(ticket: Ticket) -> dict[str, Any]:
    """Return what the audit log keeps of a ticket's state."""
    return {
        "status": ticket.status,
        "assignee": ticket.assignee.email if ticket.assignee else None,
        "merged_into": ticket.merged_into.reference if ticket.merged_into else None,
        "version": ticket.version,
    }


def _check(ticket: Ticket, seen_version: int | None) -> None:
    if ticket.merged_into_id is not None:
        raise Refused(
            gettext(
                "This ticket was merged into %(reference)s.",
                reference=ticket.merged_into.reference if ticket.merged_into else "?",
            )
        )
    if seen_version is not None and seen_version != ticket.version:
        raise Conflict(ticket, seen_version)


def _log(
    action: str,
    ticket: Ticket,
    before: dict[str, Any],
    user: StaffUser,
    extra: dict[str, Any] | None = None,
    flush: bool = True,
) -> None:
    """Flush (the version bumps) and record what changed, with `extra` facts after it."""
    if flush:  # not after a bulk UPDATE, which bumped the version and the time itself
        ticket.updated_at = to_storage(now())
        db.session.flush()
    old, new = audit.changes(before, snapshot(ticket))
    audit.record(action, "ticket", ticket.id, old, {**new, **(extra or {})}, user)


def _note(
    ticket: Ticket,
    user: StaffUser | None,
    body: str,
    kind: str = "note",
    params: dict[str, Any] | None = None,
) -> TicketNote:
    note = TicketNote(
        ticket=ticket,
        author=user,
        kind=kind,
        body=body[:NOTE_MAX],
        params=params,
        created_at=to_storage(now()),
    )
    db.session.add(note)
    return note


def note_text(note: TicketNote) -> str:
    """Return what a note says: an agent's words as written, the desk's in the reader's language."""
    params = note.params
    if params is None:
        return note.body
    if note.kind == "callback":
        said = outcome_label(str(params.get("outcome", "")))
        if params.get("retry_at"):
            when = page_datetime(datetime.fromisoformat(str(params["retry_at"])))
            return (
                said + " " + gettext("Tried again on %(when)s; the caller was texted.", when=when)
            )
        if params.get("gave_up"):
            return (
                said
                + " "
                + gettext(
                    "No more tries after %(count)s: the caller was texted to call us again.",
                    count=params["gave_up"],
                )
            )
        if params.get("resolved"):
            return said + " " + gettext("The ticket is resolved.")
        return said
    if note.kind == "reply":
        if params.get("resolution"):
            return gettext(
                "Text message telling the caller it was handled: %(text)s", text=note.body
            )
        return gettext("Text message sent to the caller: %(text)s", text=note.body)
    if note.kind == "merge":
        references = ", ".join(str(r) for r in params.get("references", []))
        return gettext("Merged into this ticket: %(references)s.", references=references)
    return note.body


def save(
    ticket: Ticket,
    user: StaffUser,
    seen_version: int,
    status: str,
    note: str,
    share_words: bool = False,
) -> None:
    """Add a note and/or change the status; resolving or closing needs a resolution note.

    Resolving a complaint or suggestion texts its caller, with the note if `share_words`.
    """
    _check(ticket, seen_version)
    note = note.strip()
    if status not in STATUSES:
        raise Refused(gettext("Unknown status."))
    if status in DONE_STATUSES and status != ticket.status and not note:
        raise Refused(gettext("Write a resolution note to resolve or close the ticket."))
    if status == ticket.status and not note:
        raise Refused(gettext("Nothing to save: write a note or change the status."))
    before = snapshot(ticket)
    written = None
    if note:
        kind = "resolution" if status in DONE_STATUSES and status != ticket.status else "note"
        written = _note(ticket, user, note, kind)
        db.session.flush()  # the note's id, for the log
    ticket.status = status
    if status in DONE_STATUSES and ticket.assignee is None:
        ticket.assignee = user  # nobody had it: whoever settles it is who the caller dealt with
    action = "ticket.note" if before["status"] == status else "ticket.status"
    # The log says a note was written, never what it says: notes may name the caller, and the
    # log, which nobody may change, could not be anonymised.
    facts = {"note_id": written.id, "note_length": len(written.body)} if written else None
    _log(action, ticket, before, user, facts)
    if status == "resolved" and before["status"] != "resolved":
        tell_resolved(ticket, user, note if share_words else None)
        ticket_resolved.send(ticket, agent=user, closing_words=note)


def assign(ticket: Ticket, user: StaffUser, seen_version: int, to: StaffUser | None) -> None:
    """Give the ticket to `to` (claim when it is the agent, release when None)."""
    _check(ticket, seen_version)
    if to is not None and (not to.active or not can_see(to, ticket)):
        raise Refused(gettext("This agent does not handle tickets in this language."))
    before = snapshot(ticket)
    ticket.assignee = to
    if to is not None and ticket.status == "new":
        ticket.status = "open"
    action = "ticket.claim" if to is user else "ticket.release" if to is None else "ticket.assign"
    _log(action, ticket, before, user)


def merge(survivor: Ticket, user: StaffUser, seen_version: int, references: list[str]) -> int:
    """Merge duplicates into `survivor`: their recordings and notes move, they point to it."""
    _check(survivor, seen_version)
    duplicates = []
    for reference in references:
        other = db.session.scalar(sa.select(Ticket).where(Ticket.reference == reference.strip()))
        if other is None or not can_see(user, other):
            raise Refused(gettext("No ticket %(reference)s.", reference=reference[:12]))
        if other.id == survivor.id or other.merged_into_id is not None:
            raise Refused(gettext("Ticket %(reference)s cannot be merged.", reference=reference))
        duplicates.append(other)
    if not duplicates:
        raise Refused(gettext("Give the reference of at least one duplicate."))
    before = snapshot(survivor)
    ids = [d.id for d in duplicates]
    for model in (Recording, TicketNote):
        db.session.execute(
            sa.update(model).where(model.ticket_id.in_(ids)).values(ticket_id=survivor.id),
            execution_options={"synchronize_session": False},
        )
    # Tickets merged earlier into a duplicate now point to the survivor too.
    db.session.execute(
        sa.update(Ticket)
        .where(Ticket.merged_into_id.in_(ids))
        .values(merged_into_id=survivor.id, version=Ticket.version + 1),
        execution_options={"synchronize_session": False},
    )
    for duplicate in duplicates:
        old = snapshot(duplicate)
        duplicate.merged_into = survivor
        duplicate.status = "closed"
        survivor.has_message = survivor.has_message or duplicate.has_message
        _log("ticket.merged", duplicate, old, user)
    references = [d.reference for d in duplicates]
    _note(survivor, user, "", "merge", {"references": references})
    _log("ticket.merge", survivor, before, user, {"merged": ", ".join(references)})
    db.session.expire(survivor, ["recordings", "notes"])
    return len(duplicates)


def merged_tickets(ticket: Ticket) -> list[Ticket]:
    """Return the tickets merged into this one, oldest first."""
    query = sa.select(Ticket).where(Ticket.merged_into_id == ticket.id).order_by(Ticket.id)
    return list(db.session.scalars(query))


def same_caller_open(ticket: Ticket, limit: int = 10) -> list[Ticket]:
    """Return the caller's other open tickets in the ticket's language, oldest first.

    A returning caller (same number, by its keyed hash) may be asking again about what an
    open ticket already holds: the agent is offered those tickets, to merge or to follow.
    """
    if ticket.caller_hash is None:
        return []
    query = (
        sa.select(Ticket)
        .where(
            Ticket.caller_hash == ticket.caller_hash,
            Ticket.language == ticket.language,
            Ticket.id != ticket.id,
            Ticket.status.in_(ACTIVE_STATUSES),
            Ticket.merged_into_id.is_(None),
        )
        .order_by(Ticket.id)
        .limit(limit)
    )
    return list(db.session.scalars(query))


def history(ticket: Ticket, merged: list[Ticket]) -> list[AuditEntry]:
    """Return the ticket's history with that of the duplicates `merged` into it, oldest first."""
    return audit.history("ticket", [ticket.id, *(duplicate.id for duplicate in merged)])


def changes_since(ticket: Ticket, seen_version: int) -> list[AuditEntry]:
    """Return the changes made after the version an agent saw (to show them a conflict)."""
    return [
        entry
        for entry in audit.history("ticket", [ticket.id])
        if entry.after and int(entry.after.get("version") or 0) > seen_version
    ]


# --- callbacks ---------------------------------------------------------------------------


def request_callback(ticket: Ticket, user: StaffUser, seen_version: int) -> CallbackAttempt:
    """Ring the agent's phone through Twilio; when they answer, the caller is dialled."""
    _check(ticket, seen_version)
    if contact.caller_number(ticket) is None:
        raise Refused(gettext("This ticket has no number to call back."))
    if not user.phone:
        raise Refused(gettext("Set your phone number in your account first."))
    attempt = CallbackAttempt(ticket_id=ticket.id, agent_id=user.id, requested_at=to_storage(now()))
    db.session.add(attempt)
    db.session.flush()
    message = messaging.place_call(
        user.phone,
        callback_url("desk_voice.bridge", a=attempt.id),
        ticket.language,
        "callback",
        f"callback for ticket {ticket.reference}",
    )
    db.session.flush()
    attempt.message_id = message.id
    before = snapshot(ticket)
    if ticket.status == "new":
        ticket.status = "open"
    _log("ticket.callback", ticket, before, user, {"call": message.status})
    return attempt


def outcome_label(outcome: str) -> str:
    """Return a callback outcome in the reader's language."""
    labels = {
        "reached": gettext("Callback: caller reached."),
        "no_answer": gettext("Callback: no answer."),
        "rescheduled": gettext("Callback: rescheduled."),
    }
    return labels.get(outcome, outcome)


def callback_outcome(
    ticket: Ticket, user: StaffUser, seen_version: int, outcome: str, keep_open: bool = False
) -> None:
    """Record how the callback went, and close the loop.

    Reached: the ticket is resolved (or, `keep_open`, stays open for whoever takes it on).
    No answer: tried again later, up to CALLBACK_ATTEMPTS tries; the caller is texted either
    way. Rescheduled: moved later, the caller told.
    """
    _check(ticket, seen_version)
    if ticket.callback is None or not ticket.callback.number:
        raise Refused(gettext("This ticket has no number to call back."))
    if outcome not in CALLBACK_OUTCOMES:
        raise Refused(gettext("Unknown outcome."))
    moment = now()
    attempt = db.session.scalar(
        sa.select(CallbackAttempt)
        .where(CallbackAttempt.ticket_id == ticket.id, CallbackAttempt.outcome.is_(None))
        .order_by(CallbackAttempt.id.desc())
        .limit(1)
    )
    if attempt is None:
        attempt = CallbackAttempt(
            ticket_id=ticket.id, agent_id=user.id, requested_at=to_storage(moment)
        )
        db.session.add(attempt)
    attempt.outcome, attempt.outcome_at = outcome, to_storage(moment)
    before = snapshot(ticket)
    booking = ticket.callback
    params: dict[str, Any] = {"outcome": outcome}
    if booking.state != "booked":
        raise Refused(gettext("This callback is already settled."))
    if outcome == "reached":
        booking.state = "done"
        if not keep_open:
            ticket.status, params["resolved"] = "resolved", True
        elif ticket.status == "new":
            ticket.status = "open"
    elif outcome == "no_answer":
        db.session.flush()
        tries = (
            db.session.scalar(
                sa.select(sa.func.count())
                .select_from(CallbackAttempt)
                .where(
                    CallbackAttempt.ticket_id == ticket.id, CallbackAttempt.outcome == "no_answer"
                )
            )
            or 1
        )
        if tries < current_app.config["CALLBACK_ATTEMPTS"]:
            try:
                when = callbacks.retry_unanswered(ticket, moment + RESCHEDULE_AFTER)
            except callbacks.NoCallbackSlot as full:
                raise Refused(
                    gettext("Not rescheduled: no callback time is free within the booking horizon.")
                ) from full
            params["retry_at"] = to_storage(when).isoformat()
        else:
            callbacks.give_up_unanswered(ticket, tries)
            ticket.status, params["gave_up"] = "resolved", tries
    else:
        booking.state = "booked"
        booking.not_before = to_storage(moment + RESCHEDULE_AFTER)
        db.session.flush()
        try:
            callbacks.reschedule()
        except callbacks.NoCallbackSlot as full:
            raise Refused(
                gettext("Not rescheduled: no callback time is free within the booking horizon.")
            ) from full
    _note(ticket, user, "", "callback", params)
    _log("ticket.callback_outcome", ticket, before, user, {"outcome": outcome})
    if ticket.status == "resolved" and before["status"] != "resolved":
        ticket_resolved.send(ticket, agent=user, closing_words="")


# --- queued calls ------------------------------------------------------------------------


@dataclass(frozen=True)
class WaitingCaller:
    """A caller in the queue no agent has taken yet, as the desk shows them."""

    ticket_id: int
    reference: str
    language: str
    waited_seconds: int


def waiting_callers(user: StaffUser, limit: int = 20) -> list[WaitingCaller]:
    """Return the callers of the agent's languages still waiting to be taken, longest first."""
    calls = state.waiting_for_agent(visible_languages(user), limit)
    sids = [call.call_sid for call in calls]
    tickets = {
        ticket.call_sid: ticket
        for ticket in db.session.scalars(
            sa.select(Ticket).where(
                Ticket.call_sid.in_(sids),
                Ticket.type == "escalated_call",
                Ticket.merged_into_id.is_(None),
            )
        )
    }
    moment = to_storage(now())
    return [
        WaitingCaller(
            ticket.id,
            ticket.reference,
            ticket.language,
            max(0, int((moment - call.queue_entered_at).total_seconds())),
        )
        for call in calls
        if (ticket := tickets.get(call.call_sid)) is not None and call.queue_entered_at is not None
    ]


def take_call(user: StaffUser, ticket_id: int | None = None) -> Ticket | None:
    """Ring the agent's phone for one waiting caller (that ticket's, or the longest-waiting).

    The caller's row says who took them, so nobody else is offered them while the agent's
    phone rings; when the agent answers, that caller (by CallSid, not the front of the queue)
    is put through. The escalated-call ticket is the agent's, returned for the desk to open.
    """
    if not user.phone:
        raise Refused(gettext("Set your phone number in your account first."))
    if not user.available:
        raise Refused(gettext("Mark yourself available first."))
    # One take at a time per agent, whatever their tabs do: their row is locked until commit.
    db.session.execute(sa.select(StaffUser.id).where(StaffUser.id == user.id).with_for_update())
    if state.ringing_for(user.id) is not None:
        raise Refused(gettext("Your phone is already ringing for a caller: answer it first."))
    if state.on_call_with(user.id) is not None:
        raise Refused(gettext("You are on a call with a caller: finish it first."))
    for caller in waiting_callers(user, limit=50):
        if ticket_id is not None and caller.ticket_id != ticket_id:
            continue
        ticket = db.session.get(Ticket, caller.ticket_id)
        if ticket is None or ticket.call_sid is None:
            continue
        # Two agents may pick the same caller at once: the database lets one of them win.
        if not state.take(ticket.call_sid, user.id):
            continue
        before = snapshot(ticket)
        ticket.assignee = user
        if ticket.status == "new":
            ticket.status = "open"
        messaging.place_call(
            user.phone,
            callback_url("desk_voice.connect", t=ticket.id, a=user.id),
            ticket.language,
            "queued_call",
            f"queued caller, ticket {ticket.reference}",
        )
        _log("ticket.take_call", ticket, before, user)
        return ticket
    return None


def waiting_count(user: StaffUser) -> int:
    """Return how many callers of the agent's languages wait in the queue, not yet taken."""
    return state.waiting_for_agent_count(visible_languages(user))


def ringing(user: StaffUser) -> bool:
    """Tell whether the agent's phone is ringing for a caller they took."""
    return state.ringing_for(user.id) is not None


def on_call(user: StaffUser) -> bool:
    """Tell whether the agent is talking to a caller they took from the queue."""
    return state.on_call_with(user.id) is not None


def agents_for(ticket: Ticket) -> list[StaffUser]:
    """Return the active staff of the desk who may be handed the ticket."""
    return [agent for agent in accounts.active_with_roles(DESK_ROLES) if can_see(agent, ticket)]
