"""How the audit log names tickets (their reference, linked to their page) and their values."""

from __future__ import annotations

import sqlalchemy as sa
from flask import url_for
from flask_babel import lazy_gettext as _l

from centre import messaging
from centre.extensions import db
from desk.views import OUTCOME_NAMES
from staff import audit
from tickets.labels import STATUS_NAMES
from tickets.models import Ticket


def _tickets(ids: list[int]) -> dict[int, tuple[str, str | None]]:
    rows = db.session.execute(sa.select(Ticket.id, Ticket.reference).where(Ticket.id.in_(ids)))
    return {
        ident: (reference, url_for("tickets.ticket_page", ticket_id=ident))
        for ident, reference in rows
    }


def register() -> None:
    """Tell the audit log how to name tickets, their statuses and their callbacks' outcomes."""
    audit.register_target("ticket", _tickets)
    audit.register_values("status", STATUS_NAMES)
    audit.register_values("outcome", OUTCOME_NAMES)
    audit.register_values("call", CALL_STATES)


# Where the call placed for a callback stood when it was logged, as staff read it.
CALL_STATES = {
    messaging.RECORDED: _l("recorded (no Twilio account)"),
    messaging.QUEUED: _l("waiting to be placed"),
    messaging.SENDING: _l("being placed"),
    messaging.SENT: _l("placed"),
    messaging.DELIVERED: _l("answered"),
    messaging.UNDELIVERED: _l("not answered"),
    messaging.FAILED: _l("failed"),
    messaging.CHECK: _l("unsure: check before trying again"),
}
