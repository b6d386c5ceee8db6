"""Demo data for trying the centre on the embedded default: a notice, calls and tickets."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from centre import notices, phones
from centre.clock import now, to_storage
from centre.extensions import db
from ivr.models import Call
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
}  # fmt: skip

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
    return f"Demo data added: 1 notice, {len(DEMO_CALLS)} calls, {count} tickets."
