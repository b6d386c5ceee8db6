"""Answering the caller from the desk: their number, the resolution signal, replies, recordings."""

# ruff: noqa: F811  (fixtures imported from test_desk)

from __future__ import annotations

import io
import re
import wave
from html import unescape

import sqlalchemy as sa
from conftest import TOKEN
from helpers import post_form, post_on_ticket, resolve_on_desk, ticket_version
from test_demo_week import demo  # noqa: F401  (a fixture)
from test_desk import make_ticket, ticket  # noqa: F401  (make_ticket is a fixture)

from centre.extensions import db
from centre.messaging import OutboundMessage
from ivr import driver
from staff.models import AuditEntry
from tickets.models import Recording, Ticket, TicketNote
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
        for status, note in (
            ("waiting", "J'attends un document."),
            ("resolved", "Réglé."),
            ("resolved", "Une précision."),
            ("open", "Rouvert."),
            ("closed", "Clos sans suite."),
        ):
            saved = post_form(
                agent,
                f"{page}/save",
                {"version": ticket_version(app, ticket_id), "status": status, "note": note},
                page=page,
            )
            assert saved.status_code == 302
    reference = ticket(app, ticket_id).reference
    assert heard == [(reference, agent.member.email, "Réglé.")]


# --- prepared replies, kept by supervisors -----------------------------------------------


def add_reply(client, language: str, title: str, body: str):  # type: ignore[no-untyped-def]
    """Add a prepared reply through the supervisors' page; return the response."""
    return post_form(
        client, "/centre/replies/", {"language": language, "title": title, "body": body}
    )


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
    assert (
        supervisor.post(
            "/centre/replies/", data={"language": "fr", "title": "T", "body": "B"}
        ).status_code
        == 400
    )
    page = supervisor.get("/centre/replies/").get_data(as_text=True)
    assert "Hemos recibido su queja {reference}." in page and "Nous avons bien reçu" in page
    assert "Vide" not in page
    with app.app_context():
        spanish = db.session.scalar(sa.select(ReplyTemplate).where(ReplyTemplate.language == "es"))
        french_id = db.session.scalar(
            sa.select(ReplyTemplate.id).where(ReplyTemplate.language == "fr")
        )
    changed = post_form(
        supervisor,
        f"/centre/replies/{spanish.id}",
        {"language": "es", "title": "Recibida", "body": "Su queja {reference} está en curso."},
    )
    assert changed.status_code == 302
    asked = supervisor.get(f"/centre/replies/{french_id}/remove").get_data(as_text=True)
    assert "Nous avons bien reçu {reference}." in asked
    removed = post_form(
        supervisor,
        f"/centre/replies/{french_id}/remove",
        {},
        page=f"/centre/replies/{french_id}/remove",
    )
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
    sent = post_on_ticket(
        app, agent, ticket_id, "reply", {"template": str(template_id), "text": ""}
    )
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
    audited = supervisor.get("/staff/audit").get_data(as_text=True)
    assert "Text message sent to the caller" in audited and "length in characters" in audited
    assert "Consulado" not in audited
    page = agent.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert f"SMS envoyé à l’appelant : Consulado: hemos recibido su queja {reference}." in page


def test_an_agent_texts_their_own_words_and_an_empty_reply_is_refused(app, log_in, make_ticket):
    ticket_id = make_ticket("suggestion")
    agent = log_in("agent", "fr", locale="en")
    page = f"/tickets/{ticket_id}"
    empty = post_form(
        agent, f"{page}/reply", {"version": ticket_version(app, ticket_id), "text": "  "}, page=page
    )
    assert empty.status_code == 422
    assert "Write the text or choose a prepared reply." in empty.get_data(as_text=True)
    words = "Merci pour votre idée, nous allons l’étudier."
    sent = post_form(
        agent,
        f"{page}/reply",
        {"version": ticket_version(app, ticket_id), "text": words},
        page=page,
    )
    assert sent.status_code == 302
    with app.app_context():
        (message,) = db.session.scalars(sa.select(OutboundMessage)).all()
        assert message.body == words and message.to_number == "+33612345678"
        note = db.session.scalars(sa.select(TicketNote)).one()
        assert (note.kind, note.body) == ("reply", words)
    assert f"Text message sent to the caller: {words}" in agent.get(page).get_data(as_text=True)


def test_answering_or_resolving_a_ticket_nobody_had_makes_it_the_agents(app, log_in, make_ticket):
    replied, resolved = make_ticket("complaint"), make_ticket("suggestion", caller="+33612345602")
    agent = log_in("agent", "fr", locale="en")
    for ticket_id, path, data in (
        (replied, "reply", {"text": "Nous étudions votre réclamation."}),
        (resolved, "save", {"status": "resolved", "note": "Transmis au consul."}),
    ):
        page = f"/tickets/{ticket_id}"
        done = post_form(
            agent, f"{page}/{path}", {"version": ticket_version(app, ticket_id), **data}, page=page
        )
        assert done.status_code == 302
        shown = agent.get(page).get_data(as_text=True)
        assert f'id="assignee"><bdi dir="ltr">{agent.member.email}</bdi>' in shown
        assert ">Claim</button>" not in shown


def test_a_hidden_or_erased_number_cannot_be_answered(app, log_in, make_ticket, runner):
    ticket_id = make_ticket(caller="+33612340000")
    runner.invoke(args=["privacy", "anonymise", "+33612340000"])
    agent = log_in("agent", "fr", phone="+212600000001", locale="en")
    page = agent.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert "No number to answer" in page and f"/tickets/{ticket_id}/reply" not in page
    refused = post_on_ticket(app, agent, ticket_id, "reply", {"text": "Bonjour"})
    assert refused.status_code == 422
    refused = post_on_ticket(app, agent, ticket_id, "call-back")
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
    placed = post_on_ticket(app, agent, ticket_id, "call-back")
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
        resolve_on_desk(
            app, agent, shared, "Ihr Pass liegt zur Abholung bereit.", share=True
        ).status_code
        == 302
    )
    assert (
        resolve_on_desk(
            app, agent, kept, "Internal: passed to the consul.", share=False
        ).status_code
        == 302
    )
    assert resolve_on_desk(app, agent, silent, "Noted.", share=True).status_code == 302
    with app.app_context():
        sent = db.session.scalars(
            sa.select(OutboundMessage).where(OutboundMessage.purpose == "resolution")
        )
        texts = {m.to_number: m for m in sent}
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


# --- recordings and transcripts ------------------------------------------------------------


def _fields(page: str) -> dict[str, str]:
    return {
        name: unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page)
    }


def test_a_message_left_in_the_simulator_plays_on_the_ticket_without_a_twilio_account(
    app, client, log_in, open_hours
):
    page = client.get("/try/?lang=fr").get_data(as_text=True)
    page = client.post(
        "/try/",
        data={**_fields(page), "action": "dial", "to": "+33805000000", "caller": "+33612345678"},
    ).get_data(as_text=True)
    for digits in ("2", "3", "1"):  # French, feedback, complaint
        page = client.post("/try/", data={**_fields(page), "digits": digits}).get_data(as_text=True)
    client.post("/try/", data={**_fields(page), "action": "record"})
    with app.app_context():
        found = db.session.scalars(sa.select(Ticket)).one()
        ticket_id, recording_id = found.id, found.recordings[0].id
    agent = log_in("agent", "fr")
    player = f"/tickets/{ticket_id}/recordings/{recording_id}"
    assert f'src="{player}"' in agent.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    played = agent.get(player)
    assert played.status_code == 200 and played.mimetype == "audio/wav"
    with wave.open(io.BytesIO(played.data)) as audio:
        assert audio.getnframes() / audio.getframerate() >= 2  # seconds of sound, not a stub
    # The player may seek: a range is answered with just that part.
    part = agent.get(player, headers={"Range": "bytes=0-99"})
    assert part.status_code == 206 and len(part.data) == 100
    assert log_in("agent", "es").get(player).status_code == 404
    assert app.test_client().get(player).status_code == 302  # to the login page


def test_twilio_transcribes_a_message_when_there_is_an_account_and_the_desk_finds_its_words(
    app, call, log_in, open_hours, twilio_api, runner
):
    phone = call()
    phone.dial()
    phone.press("2")
    phone.press("3")
    phone.press("1")
    recorder = phone.turn.record
    assert (
        recorder["transcribe"] == "true"
        and "/ivr/transcription?t=" in recorder["transcribeCallback"]
    )
    phone.leave_message()
    assert phone.recording_ready() == 200
    heard = "Mon passeport est bloqué depuis trois semaines au guichet de Lyon."
    sid = phone.last_recording["RecordingSid"]
    data = phone.params(
        TranscriptionSid="TR" + "1" * 32,
        TranscriptionStatus="completed",
        TranscriptionText=heard,
        RecordingSid=sid,
        RecordingUrl=phone.last_recording["RecordingUrl"],
    )
    assert phone.post(recorder["transcribeCallback"], data)[0] == 200
    assert phone.post(recorder["transcribeCallback"], data, signature="forged")[0] == 403
    with app.app_context():
        ticket_id = db.session.scalars(sa.select(Ticket.id)).one()
    agent = log_in("agent", "fr")
    assert heard in agent.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    found = agent.get("/tickets/?q=guichet+de+Lyon").get_data(as_text=True)
    assert f'href="/tickets/{ticket_id}"' in found
    assert f'href="/tickets/{ticket_id}"' not in agent.get("/tickets/?q=Marseille").get_data(
        as_text=True
    )
    # The caller's words go when they ask to be forgotten.
    twilio_api.delete(re.compile(r"https://api\.twilio\.com/.*"), status=204)
    runner.invoke(args=["privacy", "anonymise", "+33612345678"])
    with app.app_context():
        assert db.session.scalars(sa.select(Recording.transcript)).all() == [None]


def test_without_an_account_no_transcription_is_asked_for(call, open_hours):
    phone = call()
    phone.dial()
    phone.press("2")
    phone.press("3")
    phone.press("1")
    assert "transcribe" not in phone.turn.record


# --- demo data ---------------------------------------------------------------------------


def test_the_demo_has_prepared_replies_answered_tickets_and_recordings_that_play(
    app, guide, demo, log_in
):
    assert re.search(r"\(1 answered by SMS\), 14 prepared replies", demo)
    with app.app_context():
        spanish = db.session.scalars(
            sa.select(Ticket).where(Ticket.source_key == "CAdemo0002:demo")
        ).one()
        week = db.session.scalars(
            sa.select(Ticket)
            .where(Ticket.type == "complaint", Ticket.call_sid.like("CAweek%"))
            .order_by(Ticket.id)
            .limit(1)
        ).one()
        players = [(t.id, t.recordings[0].id, t.language) for t in (spanish, week)]
        reference = spanish.reference
    for ticket_id, recording_id, language in players:
        agent = log_in("agent", language, locale="en")
        played = agent.get(f"/tickets/{ticket_id}/recordings/{recording_id}")
        assert played.status_code == 200 and played.mimetype == "audio/wav"
    page = (
        log_in("agent", "es", locale="en").get(f"/tickets/{players[0][0]}").get_data(as_text=True)
    )
    assert "Llevo tres semanas esperando mi pasaporte" in page  # the transcript
    assert (
        f"Text message sent to the caller: Centro de llamadas consular: hemos recibido su solicitud {reference}."
        in page
    )
    assert "Falta un documento" in page  # a prepared reply in the caller's language
