"""Demo data for answering callers: prepared replies in every language, recordings that play,
a transcript, and replies already sent, so the reply panel and the player work without an account.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from centre import messaging
from centre.clock import now, to_storage
from centre.extensions import db
from ivr import sounds
from staff import accounts
from tickets import contact, replies
from tickets.models import Recording, Ticket, TicketNote
from tickets.replies import ReplyTemplate

# Two prepared replies per language: an acknowledgement and a request for a document.
PREPARED = {
    "ar": [
        (
            "تأكيد الاستلام",
            "مركز الاتصال القنصلي: توصلنا بطلبكم رقم {reference}. سنعود إليكم في أقرب الآجال.",
        ),
        (
            "وثيقة ناقصة",
            "مركز الاتصال القنصلي: لمعالجة طلبكم رقم {reference}، يرجى الإدلاء بنسخة من جواز سفركم لدى القنصلية.",
        ),
    ],
    "fr": [
        (
            "Accusé de réception",
            "Centre d’appels consulaire : nous avons bien reçu votre demande {reference}. Nous revenons vers vous rapidement.",
        ),
        (
            "Document manquant",
            "Centre d’appels consulaire : pour traiter votre demande {reference}, merci d’apporter une copie de votre passeport au consulat.",
        ),
    ],
    "es": [
        (
            "Acuse de recibo",
            "Centro de llamadas consular: hemos recibido su solicitud {reference}. Le responderemos en breve.",
        ),
        (
            "Falta un documento",
            "Centro de llamadas consular: para tramitar su solicitud {reference}, aporte una copia de su pasaporte en el consulado.",
        ),
    ],
    "it": [
        (
            "Conferma di ricezione",
            "Call center consolare: abbiamo ricevuto la sua richiesta {reference}. Le risponderemo al più presto.",
        ),
        (
            "Documento mancante",
            "Call center consolare: per trattare la sua richiesta {reference}, porti una copia del passaporto al consolato.",
        ),
    ],
    "nl": [
        (
            "Ontvangstbevestiging",
            "Consulair callcenter: we hebben uw verzoek {reference} ontvangen. We komen snel bij u terug.",
        ),
        (
            "Ontbrekend document",
            "Consulair callcenter: om uw verzoek {reference} te behandelen, brengt u een kopie van uw paspoort naar het consulaat.",
        ),
    ],
    "de": [
        (
            "Eingangsbestätigung",
            "Konsularisches Callcenter: Wir haben Ihr Anliegen {reference} erhalten. Wir melden uns in Kürze.",
        ),
        (
            "Fehlendes Dokument",
            "Konsularisches Callcenter: Um Ihr Anliegen {reference} zu bearbeiten, bringen Sie bitte eine Kopie Ihres Passes zum Konsulat.",
        ),
    ],
    "en": [
        (
            "Acknowledgement",
            "Consular call centre: we have received your request {reference}. We will get back to you shortly.",
        ),
        (
            "Missing document",
            "Consular call centre: to handle your request {reference}, please bring a copy of your passport to the consulate.",
        ),
    ],
}
# What the demo's Spanish complaint said, as a transcription would give it.
HEARD = {
    "es": "Llevo tres semanas esperando mi pasaporte y nadie contesta en el consulado de Madrid.",
    "fr": "Ce serait bien de pouvoir prendre rendez-vous le samedi matin au consulat de Lyon.",
}


def load_prepared_replies() -> int:
    """Add the prepared replies unless some exist; return how many were added."""
    if db.session.scalar(sa.select(ReplyTemplate.id).limit(1)) is not None:
        return 0
    added = 0
    for language, kept in PREPARED.items():
        for title, body in kept:
            replies.keep(None, language, title, body)
            added += 1
    return added


def answer_demo_tickets(tickets: list[Ticket]) -> int:
    """Give the demo's complaints and suggestions a playable message; answer the first by SMS."""
    audio, answered = sounds.message(), 0
    agent = accounts.by_email("agent.fr@example.org")
    for ticket in tickets:
        if ticket.type not in ("complaint", "suggestion") or ticket.recordings:
            continue
        db.session.add(
            Recording(
                ticket=ticket,
                recording_sid=f"REdemo{ticket.id:026d}",
                url="app",
                duration=sounds.MESSAGE_SECONDS,
                audio=audio,
                transcript=HEARD.get(ticket.language),
                created_at=to_storage(now() - timedelta(minutes=1)),
            )
        )
        ticket.has_message = True
        number = contact.caller_number(ticket)
        if answered or number is None:
            continue
        _title, body = PREPARED.get(ticket.language, PREPARED["en"])[0]
        text = replies.fill(body, ticket.reference)
        sent = messaging.send_sms(number, text, ticket.language, "reply")
        db.session.add(
            TicketNote(
                ticket=ticket,
                author=agent,
                kind="reply",
                body=text,
                params={"channel": "sms", "message_id": sent.id, "template": _title},
                created_at=to_storage(now()),
            )
        )
        ticket.status = "open" if ticket.status == "new" else ticket.status
        answered += 1
    db.session.flush()
    return answered
