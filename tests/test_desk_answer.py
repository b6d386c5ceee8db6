"""Answering the caller from the desk: their number, the resolution signal, replies, recordings."""

# ruff: noqa: F811  (fixtures imported from test_desk)

from __future__ import annotations

import sqlalchemy as sa
from conftest import TOKEN
from helpers import post_form
from test_desk import make_ticket, ticket, version  # noqa: F401  (make_ticket is a fixture)

from centre.extensions import db
from centre.messaging import OutboundMessage
from ivr import driver
from staff.models import AuditEntry
from tickets.models import Ticket, TicketNote
from tickets.replies import ReplyTemplate
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


# --- prepared replies, kept by supervisors -----------------------------------------------


def add_reply(client, language: str, title: str, body: str):  # type: ignore[no-untyped-def]
    """Add a prepared reply through the supervisors' page; return the response."""
    return post_form(client, "/centre/replies/",
                     {"language": language, "title": title, "body": body})  # fmt: skip


def test_supervisors_keep_prepared_replies_per_language_and_the_log_says_so(app, log_in):
    supervisor = log_in("supervisor", "", locale="en")
    assert (
        add_reply(supervisor, "es", "Recibido", "Hemos recibido su queja {reference}.").status_code
        == 302
    )
    assert (
        add_reply(supervisor, "fr", "Reçu", "Nous avons bien reçu {reference}.").status_code == 302
    )
    refused = add_reply(supervisor, "fr", "Vide", "   ")
    assert refused.status_code == 422 and "Write the reply" in refused.get_data(as_text=True)
    assert add_reply(supervisor, "xx", "Bad", "Text").status_code == 422
    # Without the form's token nothing is kept.
    assert supervisor.post("/centre/replies/", data={"language": "fr", "title": "T",
                                                      "body": "B"}).status_code == 400  # fmt: skip
    page = supervisor.get("/centre/replies/").get_data(as_text=True)
    assert "Hemos recibido su queja {reference}." in page and "Nous avons bien reçu" in page
    assert "Vide" not in page
    with app.app_context():
        spanish = db.session.scalar(sa.select(ReplyTemplate).where(ReplyTemplate.language == "es"))
        french_id = db.session.scalar(
            sa.select(ReplyTemplate.id).where(ReplyTemplate.language == "fr")
        )
    changed = post_form(supervisor, f"/centre/replies/{spanish.id}",
                        {"language": "es", "title": "Recibida", "body": "Su queja {reference} está en curso."})  # fmt: skip
    assert changed.status_code == 302
    asked = supervisor.get(f"/centre/replies/{french_id}/remove").get_data(as_text=True)
    assert "Nous avons bien reçu {reference}." in asked
    removed = post_form(supervisor, f"/centre/replies/{french_id}/remove", {},
                        page=f"/centre/replies/{french_id}/remove")  # fmt: skip
    assert removed.status_code == 302
    page = supervisor.get("/centre/replies/").get_data(as_text=True)
    assert "Su queja {reference} está en curso." in page and "Nous avons bien reçu" not in page
    with app.app_context():
        logged = db.session.scalars(
            sa.select(AuditEntry.action)
            .where(AuditEntry.target_type == "reply_template")
            .order_by(AuditEntry.id)
        ).all()
        assert logged == ["reply.add", "reply.add", "reply.edit", "reply.remove"]
    log_page = supervisor.get("/staff/audit").get_data(as_text=True)
    assert "Prepared reply changed" in log_page and ">reply.edit<" not in log_page
    # Agents use the replies; they do not edit them.
    assert log_in("agent", "fr").get("/centre/replies/").status_code == 403


# --- answering from a ticket ---------------------------------------------------------------


def test_an_agent_texts_a_prepared_reply_in_the_callers_language_with_the_reference(
    app, log_in, make_ticket
):
    supervisor = log_in("supervisor", "", locale="en")
    add_reply(supervisor, "es", "Recibido", "Consulado: hemos recibido su queja {reference}.")
    add_reply(supervisor, "fr", "Reçu", "Consulat : nous avons bien reçu {reference}.")
    ticket_id = make_ticket(language="es", country="ES", caller="+34612345678")
    reference = ticket(app, ticket_id).reference
    agent = log_in("agent", "es", locale="fr")
    page = agent.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    # Only the caller's language is offered, with the reference filled in.
    assert f"Consulado: hemos recibido su queja {reference}." in page
    assert "Consulat : nous avons" not in page and "+34612345678" not in page
    assert "Répondre à l’appelant" in page or "Répondre à l'appelant" in page
    with app.app_context():
        template_id = db.session.scalar(
            sa.select(ReplyTemplate.id).where(ReplyTemplate.language == "es")
        )
    sent = post_form(agent, f"/tickets/{ticket_id}/reply",
                     {"version": version(app, ticket_id), "template": str(template_id), "text": ""},
                     page=f"/tickets/{ticket_id}")  # fmt: skip
    assert sent.status_code == 302
    with app.app_context():
        message = db.session.scalars(sa.select(OutboundMessage)).one()
        assert (message.channel, message.purpose, message.to_number, message.language) == (
            "sms",
            "reply",
            "+34612345678",
            "es",
        )
        assert message.body == f"Consulado: hemos recibido su queja {reference}."
        entry = db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "ticket.reply")
        ).one()
        assert "Consulado" not in str(entry.after) and entry.after["length"] == len(message.body)
    assert ticket(app, ticket_id).status == "open"
    page = agent.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert f"SMS envoyé à l’appelant : Consulado: hemos recibido su queja {reference}." in page


def test_an_agent_texts_their_own_words_and_an_empty_reply_is_refused(app, log_in, make_ticket):
    ticket_id = make_ticket("suggestion")
    agent = log_in("agent", "fr", locale="en")
    page = f"/tickets/{ticket_id}"
    empty = post_form(agent, f"{page}/reply", {"version": version(app, ticket_id), "text": "  "},
                      page=page)  # fmt: skip
    assert empty.status_code == 422
    assert "Write the text or choose a prepared reply." in empty.get_data(as_text=True)
    words = "Merci pour votre idée, nous allons l’étudier."
    sent = post_form(agent, f"{page}/reply", {"version": version(app, ticket_id), "text": words},
                     page=page)  # fmt: skip
    assert sent.status_code == 302
    with app.app_context():
        (message,) = db.session.scalars(sa.select(OutboundMessage)).all()
        assert message.body == words and message.to_number == "+33612345678"
        note = db.session.scalars(sa.select(TicketNote)).one()
        assert (note.kind, note.body) == ("reply", words)
    assert f"Text message sent to the caller: {words}" in agent.get(page).get_data(as_text=True)


def test_a_hidden_or_erased_number_cannot_be_answered(app, log_in, make_ticket, runner):
    ticket_id = make_ticket(caller="+33612340000")
    runner.invoke(args=["privacy", "anonymise", "+33612340000"])
    agent = log_in("agent", "fr", phone="+212600000001", locale="en")
    page = agent.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert "No number to answer" in page and f"/tickets/{ticket_id}/reply" not in page
    refused = post_form(agent, f"/tickets/{ticket_id}/reply",
                        {"version": version(app, ticket_id), "text": "Bonjour"},
                        page=f"/tickets/{ticket_id}")  # fmt: skip
    assert refused.status_code == 422
    refused = post_form(agent, f"/tickets/{ticket_id}/call-back",
                        {"version": version(app, ticket_id)}, page=f"/tickets/{ticket_id}")  # fmt: skip
    assert refused.status_code == 422
    with app.app_context():
        assert not db.session.scalars(sa.select(OutboundMessage)).all()


def test_calling_a_complaints_caller_rings_the_agent_then_dials_the_caller(
    app, log_in, make_ticket, call
):
    ticket_id = make_ticket("complaint", caller="+33612345699")
    agent = log_in("agent", "fr", phone="+212600000001")
    page = agent.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert f"/tickets/{ticket_id}/call-back" in page
    placed = post_form(agent, f"/tickets/{ticket_id}/call-back",
                       {"version": version(app, ticket_id)}, page=f"/tickets/{ticket_id}")  # fmt: skip
    assert placed.status_code == 302
    with app.app_context():
        leg = db.session.scalars(sa.select(OutboundMessage)).one()
        assert (leg.channel, leg.to_number) == ("call", "+212600000001")
        attempt_id = db.session.scalar(sa.text("SELECT id FROM callback_attempts"))
    url = f"http://localhost/ivr/desk/bridge?a={attempt_id}"
    form = {"CallSid": "CAagentleg", "From": "+18005550000", "To": "+212600000001"}
    code, _, twiml = call().transport.post(
        url, form, {"X-Twilio-Signature": driver.sign(TOKEN, url, form)}
    )
    assert code == 200 and "<Dial" in twiml and "+33612345699" in twiml


# --- resolving tells the caller --------------------------------------------------------------


def resolve(app, agent, ticket_id: int, note: str, share: bool):  # type: ignore[no-untyped-def]
    """Resolve the ticket from its page, sharing the closing words or not."""
    data = {"version": version(app, ticket_id), "status": "resolved", "note": note}
    if share:
        data["share"] = "1"
    return post_form(agent, f"/tickets/{ticket_id}/save", data, page=f"/tickets/{ticket_id}")


def test_resolving_a_complaint_texts_the_caller_in_their_language_with_shared_words_only(
    app, log_in, make_ticket
):
    shared = make_ticket("complaint", language="de", country="DE", caller="+4915112345678")
    kept = make_ticket("suggestion", language="ar", caller="+33612345601")
    silent = make_ticket("observation", caller="+33612345602")
    agent = log_in("agent", "fr de ar", locale="en")
    page = agent.get(f"/tickets/{shared}").get_data(as_text=True)
    assert 'name="share"' in page
    assert 'name="share"' not in agent.get(f"/tickets/{silent}").get_data(as_text=True)
    assert (
        resolve(app, agent, shared, "Ihr Pass liegt zur Abholung bereit.", True).status_code == 302
    )
    assert resolve(app, agent, kept, "Internal: passed to the consul.", False).status_code == 302
    assert resolve(app, agent, silent, "Noted.", True).status_code == 302
    with app.app_context():
        texts = {m.to_number: m for m in db.session.scalars(sa.select(OutboundMessage))}
        assert set(texts) == {"+4915112345678", "+33612345601"}
        german, arabic = texts["+4915112345678"], texts["+33612345601"]
        assert german.purpose == "resolution" and german.language == "de"
        assert ticket(app, shared).reference in german.body
        assert "Ihr Pass liegt zur Abholung bereit." in german.body and "Beschwerde" in german.body
        assert arabic.language == "ar" and ticket(app, kept).reference in arabic.body
        assert "consul" not in arabic.body and "مركز" in arabic.body
    assert "Text message telling the caller it was handled" in agent.get(
        f"/tickets/{shared}"
    ).get_data(as_text=True)
