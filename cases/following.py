"""What a caller hears about their own ticket (complaint, suggestion, callback), followed by phone.

Call these under `force_locale(...)`: every sentence is gettext, every date is Babel's.
"""

from __future__ import annotations

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from centre.clock import CENTRE_TZ, from_storage
from centre.formatting import digit_by_digit, spoken_date, spoken_time
from tickets.models import DONE_STATUSES, Ticket

RECEIVED = {
    "complaint": _l("We received your complaint on %(date)s."),
    "suggestion": _l("We received your suggestion on %(date)s."),
    "observation": _l("We received your observation on %(date)s."),
    "callback": _l("On %(date)s, you asked us to call you back."),
    "escalated_call": _l("On %(date)s, you asked to speak to an agent."),
}


def ticket_sentences(ticket: Ticket, locale: str) -> list[str]:
    """Return where the ticket stands and what comes next, as sentences in the current locale."""
    created = spoken_date(from_storage(ticket.created_at), locale, CENTRE_TZ)
    sentences = [
        gettext(
            "Your reference number is %(reference)s.",
            reference=digit_by_digit(ticket.reference),
        ),
        str(RECEIVED.get(ticket.type, RECEIVED["escalated_call"])) % {"date": created},
    ]
    if ticket.status in DONE_STATUSES:
        sentences.append(gettext("It has been dealt with, and the request is closed."))
        sentences.append(gettext("If you need more help, you can speak to an agent."))
        return sentences
    booking = ticket.callback
    if booking is not None and booking.state == "booked":
        when = from_storage(booking.scheduled_at)
        sentences.append(
            gettext(
                "An agent will call you back on %(date)s at %(time)s, Moroccan time.",
                date=spoken_date(when, locale, CENTRE_TZ),
                time=spoken_time(when, locale, CENTRE_TZ),
            )
        )
        return sentences
    if booking is not None and booking.state == "no_answer":
        sentences.append(gettext("We tried to call you back but could not reach you."))
    if ticket.status == "new":
        sentences.append(gettext("It is waiting for the next available agent."))
    elif ticket.status == "waiting":
        sentences.append(gettext("An agent is handling it and is waiting for more information."))
    else:
        sentences.append(gettext("An agent is handling it."))
    if ticket.due_at is not None:
        due = spoken_date(from_storage(ticket.due_at), locale, CENTRE_TZ)
        sentences.append(gettext("We aim to answer you by %(date)s.", date=due))
    return sentences
