"""Telling a complaint's or suggestion's caller, by text, that it was handled.

Sent when the desk resolves the ticket (desk.desk.save), before `ticket_resolved` tells the
packages above, so the caller reads that it was handled before anything that follows it.
The agent's closing words go with it only when they choose to share them.
"""

from __future__ import annotations

from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l

from centre import messaging
from centre.clock import now, to_storage
from centre.extensions import db
from staff import audit
from staff.models import StaffUser
from tickets import contact
from tickets.models import Ticket, TicketNote

TOLD_WHEN_RESOLVED = ("complaint", "suggestion")
SHARED_WORDS_MAX = 300
ACTION_NAMES = {"ticket.resolution_sms": _l("Caller told by text that the ticket was resolved")}


def resolution_text(ticket: Ticket, shared: str) -> str:
    """Return the text telling the caller, in their language, that their request was handled."""
    with force_locale(ticket.language):
        if ticket.type == "complaint":
            body = gettext(
                "Consular call centre: your complaint %(reference)s has been handled.",
                reference=ticket.reference,
            )
        else:
            body = gettext(
                "Consular call centre: your suggestion %(reference)s has been handled. Thank you.",
                reference=ticket.reference,
            )
        if shared:
            body += " " + gettext("Our answer: %(words)s", words=shared)
    return body


def tell_resolved(ticket: Ticket, user: StaffUser, words: str | None) -> TicketNote | None:
    """Text the caller of a resolved complaint or suggestion; log it on the ticket."""
    number = contact.caller_number(ticket)
    if ticket.type not in TOLD_WHEN_RESOLVED or number is None:
        return None
    shared = (words or "").strip()[:SHARED_WORDS_MAX]
    body = resolution_text(ticket, shared)
    message = messaging.send_sms(number, body, ticket.language, "resolution")
    note = TicketNote(
        ticket=ticket,
        author=user,
        kind="reply",
        body=body,
        created_at=to_storage(now()),
        params={"channel": "sms", "message_id": message.id, "resolution": True},
    )
    db.session.add(note)
    audit.record(
        "ticket.resolution_sms",
        "ticket",
        ticket.id,
        None,
        {"length": len(body), "shared": bool(shared)},
        user,
    )
    return note
