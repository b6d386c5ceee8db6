"""The satisfaction survey by SMS: sent once resolved, answered 1 to 5, STOP honoured, signed."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from conftest import TOKEN
from flask import Flask
from flask_babel import force_locale, gettext
from helpers import resolve_on_desk, row_counts, walk_to_main_menu

from centre import languages, phones
from centre.clock import now
from centre.extensions import db
from centre.messaging import OutboundMessage
from ivr.driver import FlaskTransport, PhoneCall
from tickets import callbacks, survey
from tickets.models import SurveyOptOut, Ticket

CALLER = "+33612345678"
# What a caller types to stop the surveys, in each language (as each survey tells them).
STOP = {
    "en": "STOP",
    "fr": "ARRÊT",
    "es": "Baja",
    "it": "basta",
    "nl": "afmelden",
    "de": "Stopp",
    "ar": "توقف",
}


def texts_to(app: Flask, number: str = CALLER) -> list[OutboundMessage]:
    """Return the SMS queued for `number`, oldest first."""
    with app.app_context():
        found = list(
            db.session.scalars(
                sa.select(OutboundMessage)
                .where(OutboundMessage.to_number == number, OutboundMessage.channel == "sms")
                .order_by(OutboundMessage.id)
            )
        )
        db.session.expunge_all()
        return found


def resolved_complaint(app: Flask, call, code: str = "en", caller: str = CALLER) -> int:  # type: ignore[no-untyped-def]
    """Complain by phone, have the ticket resolved and its survey sent; return the ticket's id."""
    phone = call(caller=caller)
    walk_to_main_menu(phone, code)
    phone.press("3")
    phone.press("1")
    phone.leave_message()
    phone.hang_up()
    with app.app_context():
        ticket = db.session.scalar(sa.select(Ticket).order_by(Ticket.id.desc()))
        ticket.status = "resolved"
        survey.send_survey(ticket, caller)
        db.session.commit()
        return ticket.id


def ticket_survey(app: Flask, ticket_id: int) -> tuple[str | None, int | None]:
    """Return where the ticket's survey stands and its answer."""
    with app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        assert ticket is not None
        return ticket.survey_state, ticket.satisfaction


@pytest.mark.parametrize("code", languages.CODES)
def test_the_survey_is_texted_in_the_callers_language_and_a_reply_is_stored(
    app: Flask, call, open_hours, code: str
) -> None:
    ticket_id = resolved_complaint(app, call, code)
    sent = texts_to(app)
    assert [m.purpose for m in sent] == ["ticket:survey"] and sent[0].language == code
    with app.test_request_context(), force_locale(code):
        assert gettext("Reply STOP to receive no more surveys.") in sent[0].body
    with app.app_context():
        reference = db.session.get(Ticket, ticket_id).reference  # type: ignore[union-attr]
    assert reference in sent[0].body
    status, answer = call(caller=CALLER).text("4")
    assert status == 200 and "<Response" in answer and "<Message" not in answer
    assert ticket_survey(app, ticket_id) == ("answered", 4)
    thanks = texts_to(app)[-1]
    assert thanks.purpose == "ticket:survey_reply" and thanks.language == code


@pytest.mark.parametrize(
    ("reply", "score"),
    [("1", 1), ("5", 5), (" 3 ", 3), ("4/5", 4), ("5 merci !", 5), ("٥", 5), ("２", 2)],
)
def test_replies_one_to_five_are_read_however_they_are_typed(
    app: Flask, call, open_hours, reply: str, score: int
) -> None:
    ticket_id = resolved_complaint(app, call)
    call(caller=CALLER).text(reply)
    assert ticket_survey(app, ticket_id) == ("answered", score)


def test_an_unclear_reply_gets_one_clear_answer_and_then_silence(
    app: Flask, call, open_hours
) -> None:
    ticket_id = resolved_complaint(app, call, "fr")
    phone = call(caller=CALLER)
    for garbage in ("très bien", "10", "0", "3 ou 4", ""):
        assert phone.text(garbage)[0] == 200
    assert ticket_survey(app, ticket_id) == ("clarified", None)
    replies = [m for m in texts_to(app) if m.purpose == "ticket:survey_reply"]
    assert len(replies) == 1 and "1" in replies[0].body and "ARRET" in replies[0].body
    phone.text("2")  # the caller understood
    assert ticket_survey(app, ticket_id) == ("answered", 2)


@pytest.mark.parametrize("code", languages.CODES)
def test_stop_in_each_language_ends_the_surveys_to_that_number(
    app: Flask, call, open_hours, code: str
) -> None:
    first = resolved_complaint(app, call, code)
    call(caller=CALLER).text(STOP[code])
    assert ticket_survey(app, first) == ("sent", None)
    with app.app_context():
        kept = db.session.scalars(sa.select(SurveyOptOut.number_hash)).all()
        assert kept == [phones.keyed_hash(CALLER, app.config["PHONE_HASH_KEY"])]
    told = texts_to(app)[-1]
    assert told.purpose == "ticket:survey_reply" and told.language == code
    second = resolved_complaint(app, call, code)
    assert ticket_survey(app, second) == ("skipped", None)
    assert [m.purpose for m in texts_to(app)].count("ticket:survey") == 1


def test_a_reply_answers_only_its_own_numbers_survey(app: Flask, call, open_hours) -> None:
    mine = resolved_complaint(app, call)
    call(caller="+33699887766").text("1")
    assert ticket_survey(app, mine) == ("sent", None)
    assert texts_to(app, "+33699887766") == []  # a stranger is not answered


def test_a_second_resolved_ticket_waits_for_the_first_survey_answer(
    app: Flask, call, open_hours
) -> None:
    first = resolved_complaint(app, call)
    second = resolved_complaint(app, call)
    assert ticket_survey(app, second) == ("skipped", None)
    call(caller=CALLER).text("5")
    assert ticket_survey(app, first) == ("answered", 5)


def test_an_unsigned_or_badly_signed_text_is_refused_and_writes_nothing(
    app: Flask, call, open_hours
) -> None:
    ticket_id = resolved_complaint(app, call)
    before = row_counts(app)
    phone: PhoneCall = call(caller=CALLER)
    assert phone.text("5", signature="")[0] == 403
    assert phone.text("5", signature="bm90IGEgc2lnbmF0dXJl")[0] == 403
    assert phone.text(STOP["en"], signature="bm90IGEgc2lnbmF0dXJl")[0] == 403
    assert row_counts(app) == before
    assert ticket_survey(app, ticket_id) == ("sent", None)


def test_the_answer_shows_on_the_ticket_page(app: Flask, call, open_hours, log_in) -> None:
    ticket_id = resolved_complaint(app, call, "fr")
    agent = log_in("agent", "fr", locale="en")
    page = agent.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert "Survey sent on" in page and "out of 5" not in page
    call(caller=CALLER).text("4")
    page = agent.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert "<strong>4 out of 5</strong>" in page and "answered on" in page


def test_resolving_on_the_desk_texts_the_survey_and_counts_it_to_the_agent(
    app: Flask, call, open_hours, log_in
) -> None:
    phone = call(caller=CALLER)
    walk_to_main_menu(phone, "es")
    phone.press("3")
    phone.press("1")
    phone.leave_message()
    phone.hang_up()
    with app.app_context():
        opened = db.session.scalar(sa.select(Ticket))
        assert opened is not None
        ticket_id = opened.id
    agent = log_in("agent", "es")
    resolved = resolve_on_desk(app, agent, ticket_id, "Resuelto.")
    assert resolved.status_code == 302
    # First the text saying it was handled, then the survey.
    assert [m.purpose for m in texts_to(app)] == ["resolution", "ticket:survey"]
    survey_text = texts_to(app)[-1]
    assert survey_text.language == "es" and "BAJA" in survey_text.body
    assert phone.text("5")[0] == 200
    with app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        assert ticket is not None
        assert (ticket.satisfaction, ticket.resolved_by_id) == (5, agent.member.id)


def test_a_callback_resolved_on_the_desk_is_surveyed_at_its_number(
    app: Flask, open_hours, log_in
) -> None:
    with app.app_context():
        booked = callbacks.book("+34612345678", "es", app.config["PHONE_HASH_KEY"], now())
        db.session.commit()
        ticket_id = booked.id
    agent = log_in("agent", "es")
    resolve_on_desk(app, agent, ticket_id, "Resuelto.")
    assert [m.purpose for m in texts_to(app, "+34612345678")][-1] == "ticket:survey"
    assert PhoneCall(FlaskTransport(app), TOKEN, caller="+34612345678").text("3")[0] == 200
    assert ticket_survey(app, ticket_id) == ("answered", 3)


def test_an_observation_is_not_surveyed(app: Flask, call, open_hours) -> None:
    phone = call(caller=CALLER)
    walk_to_main_menu(phone, "en")
    phone.press("3")
    phone.press("3")
    phone.leave_message()
    with app.app_context():
        ticket = db.session.scalar(sa.select(Ticket))
        assert ticket is not None and ticket.type == "observation"
        ticket.status = "resolved"
        assert survey.send_survey(ticket, CALLER) is False
        db.session.commit()
    assert texts_to(app) == []


def test_an_opt_out_twilio_recognised_is_honoured_whatever_the_word(
    app: Flask, call, open_hours
) -> None:
    resolved_complaint(app, call, "fr")
    call(caller=CALLER).text("DÉSINSCRIPTION SVP", OptOutType="STOP")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SurveyOptOut)) == 1


# What the centre texts back to a START, in each language (written here, not read from the app).
STARTED = {
    "en": "You will receive our surveys again. Reply STOP at any time to stop them.",
    "fr": "Vous recevrez de nouveau nos enquêtes. Répondez ARRET à tout moment pour les arrêter.",
    "ar": "ستتلقون استطلاعاتنا من جديد. أرسلوا توقف في أي وقت لإيقافها.",
    "es": "Volverá a recibir nuestras encuestas. Responda BAJA en cualquier momento para dejar"
    " de recibirlas.",
    "it": "Riceverà di nuovo i nostri sondaggi. Risponda STOP in qualsiasi momento per"
    " interromperli.",
    "nl": "U ontvangt onze enquêtes weer. Antwoord op elk moment STOP om ermee te stoppen.",
    "de": "Sie erhalten unsere Umfragen wieder. Antworten Sie jederzeit STOPP, um sie zu beenden.",
}


@pytest.mark.parametrize("code", languages.CODES)
def test_start_after_a_stop_brings_the_surveys_back_and_says_so_in_the_callers_language(
    app: Flask, call, open_hours, code: str
) -> None:
    first = resolved_complaint(app, call, code)
    call(caller=CALLER).text("4")
    call(caller=CALLER).text(STOP[code])
    assert ticket_survey(app, first) == ("answered", 4)
    assert ticket_survey(app, resolved_complaint(app, call, code)) == ("skipped", None)

    call(caller=CALLER).text("start")

    told = texts_to(app)[-1]
    assert (told.body, told.language) == (STARTED[code], code)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SurveyOptOut)) == 0
    assert ticket_survey(app, resolved_complaint(app, call, code)) == ("sent", None)


def test_a_start_twilio_recognised_is_honoured_and_a_start_never_stopped_says_nothing(
    app: Flask, call, open_hours
) -> None:
    resolved_complaint(app, call, "fr")
    sent = len(texts_to(app))
    call(caller=CALLER).text("START")
    assert len(texts_to(app)) == sent  # nothing was stopped: nothing to start, nothing to say
    call(caller=CALLER).text("STOP")
    call(caller=CALLER).text("REPRENDRE", OptOutType="START")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SurveyOptOut)) == 0
    assert texts_to(app)[-1].body == STARTED["fr"]
