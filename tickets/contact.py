"""How to reach the caller of a ticket: the number they called from, while it may be kept.

A ticket opened by phone keeps the caller's number (E.164) so that the desk can answer them
(call back, SMS replies, the resolution message, the survey). It goes when the caller is
anonymised (tickets.privacy.forget_caller), like a callback's number.
"""

from __future__ import annotations

from tickets.models import Ticket


def caller_number(ticket: Ticket) -> str | None:
    """Return the number to reach the ticket's caller, None when anonymised or never known."""
    if ticket.anonymised:
        return None
    if ticket.caller_number:
        return ticket.caller_number
    if ticket.callback is not None and ticket.callback.number:
        return ticket.callback.number
    return None
