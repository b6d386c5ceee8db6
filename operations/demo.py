"""Demo data for trying the centre on the embedded default: a notice, calls and tickets."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from centre import notices, phones
from centre.clock import CENTRE_TZ, now, to_storage
from centre.extensions import db
from ivr.models import Call
from operations import demo_answers
from tickets.models import Ticket
from tickets.services import open_ticket

DEMO_NOTICE = {
    "ar": "تذكير: منذ فاتح أبريل 2024، تُحجز المواعيد في جميع القنصليات عبر الإنترنت وتُؤدى الرسوم إلكترونيا.",
    "fr": "Rappel : depuis le 1er avril 2024, tous les consulats prennent les rendez-vous en ligne et acceptent le paiement électronique des droits.",
    "es": "Recordatorio: desde el 1 de abril de 2024, todos los consulados dan cita en línea y aceptan el pago electrónico de las tasas.",
    "it": "Promemoria: dal 1° aprile 2024 tutti i consolati fissano gli appuntamenti online e accettano il pagamento elettronico dei diritti.",
    "nl": "Ter herinnering: sinds 1 april 2024 maken alle consulaten afspraken online en kunt u de kosten elektronisch betalen.",
    "de": "Zur Erinnerung: Seit dem 1. April 2024 vergeben alle Konsulate Termine online und nehmen die Gebühren elektronisch entgegen.",
    "en": "A reminder: since 1 April 2024 every consulate books appointments online and takes fees by electronic payment.",
}

# Heard only by callers who reach the guide's visa service, in their language (issue 16).
VISA_NOTICE = {
    "ar": "خدمات التأشيرة معلقة إلى غاية 8 فبراير. تُسترجع الرسوم المؤداة قبل 3 فبراير عبر الإنترنت بمرجع الأداء وتاريخ المعاملة. لا يمكن لمركز الاتصال مساعدتكم في هذا الإجراء.",
    "fr": "Les services de visa sont suspendus jusqu'au 8 février. Les frais payés avant le 3 février se récupèrent en ligne avec la référence du paiement et la date de la transaction. Le centre d'appels ne peut pas vous aider dans cette démarche.",
    "es": "Los servicios de visado están suspendidos hasta el 8 de febrero. Las tasas pagadas antes del 3 de febrero se recuperan en línea con la referencia del pago y la fecha de la transacción. El centro de llamadas no puede ayudarle con ese trámite.",
    "it": "I servizi visti sono sospesi fino all'8 febbraio. I diritti pagati prima del 3 febbraio si recuperano online con il riferimento del pagamento e la data della transazione. Il call center non può aiutarla in questa procedura.",
    "nl": "De visumdiensten zijn opgeschort tot 8 februari. Kosten die vóór 3 februari zijn betaald, worden online teruggevorderd met de betalingsreferentie en de datum van de transactie. Het callcenter kan u bij die procedure niet helpen.",
    "de": "Die Visadienste sind bis zum 8. Februar ausgesetzt. Vor dem 3. Februar gezahlte Gebühren werden online mit der Zahlungsreferenz und dem Transaktionsdatum zurückgefordert. Das Callcenter kann Ihnen bei diesem Verfahren nicht helfen.",
    "en": "Visa services are suspended until 8 February. Fees paid before 3 February are recovered online with the payment reference and the transaction date. The call centre cannot help with that procedure.",
}
VISA_TOPIC = ("service", "visa")


def visa_suspension_ends(moment: datetime) -> datetime:
    """Return the next 8 February (Moroccan midnight) after `moment`: when the suspension ends."""
    local = moment.astimezone(CENTRE_TZ)
    ends = datetime(local.year, 2, 8, tzinfo=CENTRE_TZ)
    return ends if ends > local else ends.replace(year=local.year + 1)


DEMO_CALLS = [
    # (call sid, caller, dialled, country, language, outcome, minutes ago)
    ("CAdemo0001", "+33612345601", "+33805000000", "FR", "fr", "self_service", 180),
    ("CAdemo0002", "+34612345602", "+34900000000", "ES", "es", "escalated", 150),
    ("CAdemo0003", "+31612345603", "+31800000000", "NL", "nl", "abandoned", 90),
    ("CAdemo0004", "+4915112345604", "+498000000000", "DE", "de", "self_service", 60),
    ("CAdemo0005", "+32470123405", "+3280000000", "BE", "ar", "escalated", 30),
]
DEMO_TICKETS = [
    ("CAdemo0002", "+34612345602", "complaint", "es", "ES"),
    ("CAdemo0005", "+32470123405", "escalated_call", "ar", "BE"),
    ("CAdemo0001", "+33612345601", "suggestion", "fr", "FR"),
]


def load_demo() -> str:
    """Add the demo notice, calls and tickets unless they are there already; say what was done."""
    if db.session.scalar(sa.select(Call.id).where(Call.call_sid == "CAdemo0001")):
        return "Demo data already present."
    moment = now()
    notices.add_notice(moment - timedelta(days=1), moment + timedelta(days=30), DEMO_NOTICE)
    notices.add_notice(
        moment - timedelta(days=1), visa_suspension_ends(moment), VISA_NOTICE, topic=VISA_TOPIC
    )
    for sid, caller, dialled, country, language, outcome, ago in DEMO_CALLS:
        started = moment - timedelta(minutes=ago)
        db.session.add(
            Call(
                call_sid=sid,
                caller_hash=phones.keyed_hash(caller, current_app.config["PHONE_HASH_KEY"]),
                caller_masked=phones.mask(caller),
                dialled=dialled,
                country=country,
                language=language,
                offered=language,
                node="goodbye",
                context={},
                started_at=to_storage(started),
                ended_at=to_storage(started + timedelta(minutes=4)),
                status="completed",
                duration=240,
                outcome=outcome,
            )
        )
    for sid, caller, kind, language, country in DEMO_TICKETS:
        open_ticket(
            kind,
            language,
            caller,
            current_app.config["PHONE_HASH_KEY"],
            country=country,
            call_sid=sid,
            source_key=f"{sid}:demo",
        )
    db.session.flush()
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Ticket))
    demo = list(db.session.scalars(sa.select(Ticket).where(Ticket.source_key.like("CAdemo%:demo"))))
    answered = demo_answers.answer_demo_tickets(demo)
    prepared = demo_answers.load_prepared_replies()
    return (
        f"Demo data added: 1 notice, {len(DEMO_CALLS)} calls, {count} tickets "
        f"({answered} answered by SMS), {prepared} prepared replies."
    )
