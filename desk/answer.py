"""Answering the caller from a ticket: an SMS reply (canned or free), and the resolution text.

Every text goes through the outbox (centre.messaging) to the number the ticket keeps
(tickets.contact), in the caller's language, and is logged on the ticket as a note of kind
"reply" that keeps the words sent (anonymising the caller redacts them with every note).
The audit log records that a reply was sent, never its words.
"""

from __future__ import annotations

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from centre import messaging
from centre.refusals import Refused
from desk import resolution
from desk.desk import _check, _log, _note, snapshot  # the desk's own steps, shared in the package
from staff import audit
from staff.models import StaffUser
from tickets import contact, replies
from tickets.models import Ticket, TicketNote
from tickets.replies import ReplyTemplate

# What the audit log calls what this module does (see register()).
ACTION_NAMES = {
    "ticket.reply": _l("Text message sent to the caller"),
}


def register() -> None:
    """Name the audit actions of answering the caller for the log's readers."""
    audit.ACTION_NAMES.update(ACTION_NAMES)
    audit.ACTION_NAMES.update(resolution.ACTION_NAMES)
    audit.FIELD_NAMES.setdefault("length", _l("length in characters"))
    audit.FIELD_NAMES.setdefault("shared", _l("closing words shared"))


def reply_text(ticket: Ticket, text: str, template: ReplyTemplate | None) -> str:
    """Return the SMS to send: the agent's own words, else the template with the reference."""
    text = text.strip()
    if not text and template is not None:
        text = replies.fill(template.body, ticket.reference)
    return text


def reply_by_sms(
    ticket: Ticket, user: StaffUser, seen_version: int, text: str, template_id: int | None
) -> TicketNote:
    """Text the caller the agent's words or a canned reply; log it on the ticket."""
    _check(ticket, seen_version)
    number = contact.caller_number(ticket)
    if number is None:
        raise Refused(gettext("This ticket has no number to answer."))
    template = None
    if template_id:
        template = _template(template_id, ticket.language)
    body = reply_text(ticket, text, template)
    if not body:
        raise Refused(gettext("Write the text or choose a prepared reply."))
    if len(body) > replies.BODY_MAX:
        raise Refused(
            gettext("A text message is %(max)s characters at most.", max=replies.BODY_MAX)
        )
    before = snapshot(ticket)
    message = messaging.send_sms(number, body, ticket.language, "reply")
    params = {
        "channel": "sms",
        "message_id": message.id,
        "template": template.title if template else None,
    }
    note = _note(ticket, user, body, "reply", params)
    if ticket.status == "new":
        ticket.status = "open"
    if ticket.assignee is None:  # the agent who answers the caller follows the ticket
        ticket.assignee = user
    _log("ticket.reply", ticket, before, user, {"length": len(body)})
    return note


def _template(template_id: int, language: str) -> ReplyTemplate:
    for template in replies.in_language(language):
        if template.id == template_id:
            return template
    raise Refused(gettext("This prepared reply no longer exists."))
