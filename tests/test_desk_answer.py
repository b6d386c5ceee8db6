"""Answering the caller from the desk: their number, the resolution signal, replies, recordings."""

# ruff: noqa: F811  (fixtures imported from test_desk)

from __future__ import annotations

from helpers import post_form
from test_desk import make_ticket, ticket, version  # noqa: F401  (make_ticket is a fixture)

from tickets.models import Ticket
from tickets.signals import ticket_resolved


def test_resolving_through_the_desk_tells_whoever_listens_once(app, log_in, make_ticket):
    ticket_id = make_ticket()
    heard: list[tuple[str, str, str]] = []

    def receiver(sender: Ticket, agent, closing_words: str) -> None:  # type: ignore[no-untyped-def]
        heard.append((sender.reference, agent.email, closing_words))

    agent = log_in("agent", "fr")
    with ticket_resolved.connected_to(receiver):
        page = f"/tickets/{ticket_id}"
        for status, note in (("waiting", "J'attends un document."), ("resolved", "Réglé."),
                             ("resolved", "Une précision."), ("open", "Rouvert."),
                             ("closed", "Clos sans suite.")):  # fmt: skip
            saved = post_form(agent, f"{page}/save",
                              {"version": version(app, ticket_id), "status": status, "note": note},
                              page=page)  # fmt: skip
            assert saved.status_code == 302
    reference = ticket(app, ticket_id).reference
    assert heard == [(reference, agent.member.email, "Réglé.")]
