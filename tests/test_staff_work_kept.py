"""Work typed by staff is never lost: conflicts show both sides, long text is refused whole."""

from __future__ import annotations

import re
from html import unescape

import sqlalchemy as sa
from helpers import post_form

from centre.extensions import db
from tickets import services
from tickets.models import Ticket, TicketNote

HASH_KEY = "test-phone-key"


def open_ticket(app, language: str = "fr") -> int:  # type: ignore[no-untyped-def]
    """Open a complaint as the phone menu does; return its id."""
    with app.app_context():
        ticket = services.open_ticket("complaint", language, "+33612345678", HASH_KEY, country="FR")
        db.session.commit()
        return ticket.id


def ticket_version(app, ticket_id: int) -> str:  # type: ignore[no-untyped-def]
    """Return the ticket's version as its page shows it."""
    with app.app_context():
        return str(db.session.get(Ticket, ticket_id).version)


def note_count(app) -> int:  # type: ignore[no-untyped-def]
    """Return how many notes the desk holds."""
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(TicketNote)) or 0


def selected_status(page: str) -> str:
    """Return the status chosen in the note form's select."""
    form = page[page.index('id="save"') :]
    found = re.search(r'<option value="(\w+)" selected>', form)
    assert found, "no status chosen"
    return found.group(1)


def test_the_desk_conflict_page_keeps_the_status_and_note_the_agent_chose(app, log_in):
    ticket_id = open_ticket(app)
    first, second = log_in("agent", "fr"), log_in("agent", "fr")
    seen = ticket_version(app, ticket_id)
    page = f"/tickets/{ticket_id}"
    assert post_form(first, f"{page}/save", {"version": seen, "status": "open",
                                              "note": "Pris en charge"}, page).status_code == 302  # fmt: skip
    late = post_form(second, f"{page}/save", {"version": seen, "status": "resolved",
                                               "note": "Passeport envoyé"}, page)  # fmt: skip
    assert late.status_code == 409
    html = late.get_data(as_text=True)
    assert "Passeport envoyé</textarea>" in html
    assert selected_status(html) == "resolved"  # not the ticket's "open"


def test_an_over_long_desk_note_is_refused_whole_and_kept_in_the_form(app, log_in):
    ticket_id = open_ticket(app)
    agent = log_in("agent", "fr")
    page = f"/tickets/{ticket_id}"
    assert 'maxlength="5000"' in agent.get(page).get_data(as_text=True)
    typed = "Le demandeur explique. " * 8700  # about 200,000 characters
    refused = post_form(agent, f"{page}/save", {"version": ticket_version(app, ticket_id),
                                                 "status": "waiting", "note": typed}, page)  # fmt: skip
    assert refused.status_code == 422
    html = unescape(refused.get_data(as_text=True))
    assert "Trop long" in html and "5\u202f000" in html
    assert typed.strip() in html and selected_status(html) == "waiting"
    assert note_count(app) == 0  # nothing cut and stored behind the agent's back
    with app.app_context():
        assert db.session.get(Ticket, ticket_id).status == "new"
