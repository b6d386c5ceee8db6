"""The satisfaction survey: one SMS once a ticket is resolved, the caller's reply, their opt-out.

The survey asks for one number, 1 to 5, in the caller's language. Replies come back through
Twilio's Messaging webhook (`ivr.sms`) and are matched to the survey by the number's keyed
hash: the latest survey still waiting for that number. "STOP" and its equivalents in the
centre's languages record an opt-out (by keyed hash), and no survey goes to that number again.
A reply we cannot read gets one SMS saying what we can read; a second one gets nothing more.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, gettext

from centre import phones
from centre.clock import now, to_storage
from centre.extensions import db
from centre.messaging import send_sms
from staff.models import StaffUser
from tickets import contact
from tickets.models import DONE_STATUSES, SurveyOptOut, Ticket

# A reply later than this answers nothing; while a survey waits this long, no other is sent
# to the same number (a bare "4" could not say which ticket it is about).
SURVEY_WINDOW = timedelta(days=7)
SCORES = range(1, 6)
# An observation asks for no answer: its caller is not told it was handled, nor surveyed.
SURVEYED_TYPES = ("complaint", "suggestion", "callback", "escalated_call")
# The words that stop the surveys, as a caller may type them in each of the centre's
# languages (compared without case, accents or punctuation): Twilio's own English keywords,
# then French, Spanish, Italian, Dutch, German and Arabic.
STOP_WORDS = frozenset(
    {
        "stop",
        "stopall",
        "unsubscribe",
        "cancel",
        "end",
        "quit",
        "arret",
        "arreter",
        "desabonner",
        "desinscrire",
        "parar",
        "baja",
        "alto",
        "cancelar",
        "basta",
        "annulla",
        "disiscrivi",
        "afmelden",
        "uitschrijven",
        "stopp",
        "abmelden",
        "ende",
        "abbestellen",
        "توقف",
        "توقيف",
        "ايقاف",
        "الغاء",
    }
)
# The words that start them again after a stop: Twilio's own opt-in keywords ("yes" is left
# out: it answers too many other questions to mean "text me again").
START_WORDS = frozenset({"start", "unstop"})
_OUT_OF_FIVE = re.compile(r"^(\d)\s*/\s*5$")
_WORDS = re.compile(r"\w+")


@dataclass(frozen=True)
class ReadReply:
    """What a survey reply says: a score, a stop, or nothing we can read."""

    kind: str  # score, stop, start, unclear
    score: int | None = None


def _plain(text: str) -> str:
    """Return `text` without accents or case: "ARRÊT" and "arret" read the same."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().strip()


def read_reply(body: str) -> ReadReply:
    """Read a reply: one number from 1 to 5 (any script's digits, "4/5" too), or a stop word."""
    plain = _plain(body[:160])
    words = _WORDS.findall(plain)
    if words and words[0] in STOP_WORDS and len(words) <= 2:  # "STOP", "stop please"
        return ReadReply("stop")
    if len(words) == 1 and words[0] in START_WORDS:
        return ReadReply("start")
    out_of_five = _OUT_OF_FIVE.match(plain)
    numbers = [word for word in words if word.isdecimal()]
    if out_of_five:
        numbers = [out_of_five.group(1)]
    if len(numbers) == 1 and len(numbers[0]) == 1 and int(numbers[0]) in SCORES:
        return ReadReply("score", int(numbers[0]))
    return ReadReply("unclear")


def opted_out(number_hash: str | None) -> bool:
    """Tell whether the number asked for no more surveys."""
    return bool(number_hash) and db.session.get(SurveyOptOut, number_hash) is not None


def _waiting(number_hash: str) -> Ticket | None:
    """Return the newest survey still waiting for this number's answer, within the window."""
    return db.session.scalar(
        sa.select(Ticket)
        .where(
            Ticket.caller_hash == number_hash,
            Ticket.survey_state.in_(("sent", "clarified", "answered")),
            Ticket.survey_sent_at >= to_storage(now() - SURVEY_WINDOW),
        )
        .order_by(Ticket.survey_sent_at.desc(), Ticket.id.desc())
        .limit(1)
    )


def _survey_text(ticket: Ticket) -> str:
    with force_locale(ticket.language):
        return " ".join(
            (
                gettext(
                    "Consular services: how satisfied are you with how we handled your request "
                    "%(reference)s?",
                    reference=ticket.reference,
                ),
                gettext("Reply with one number from 1 (not at all) to 5 (very satisfied)."),
                gettext("Reply STOP to receive no more surveys."),
            )
        )


def send_survey(ticket: Ticket, number: str | None) -> bool:
    """Text the ticket's caller the survey once; return False when it is not sent.

    Not sent without a number, to a number that opted out, for a ticket already surveyed,
    not resolved or an observation, or while another survey waits for that number's answer.
    """
    if ticket.survey_state is not None or ticket.status not in DONE_STATUSES:
        return False
    if ticket.type not in SURVEYED_TYPES:
        return False
    number_hash = phones.keyed_hash(number, current_app.config["PHONE_HASH_KEY"])
    if number is None or number_hash is None or opted_out(number_hash):
        ticket.survey_state = "skipped"
        return False
    pending = _waiting(number_hash)
    if pending is not None and pending.survey_state != "answered":
        ticket.survey_state = "skipped"
        return False
    send_sms(number, _survey_text(ticket), ticket.language, purpose="ticket:survey")
    ticket.survey_state, ticket.survey_sent_at = "sent", to_storage(now())
    return True


def record_resolution(ticket: Ticket, agent: StaffUser | None) -> None:
    """Note who resolved the ticket: the satisfaction its caller gives is counted to them."""
    if agent is not None:
        ticket.resolved_by_id = agent.id


def on_resolved(ticket: Ticket, agent: StaffUser | None = None, **extra: object) -> None:
    """Receive `ticket_resolved`: note who resolved the ticket and text its caller the survey."""
    record_resolution(ticket, agent)
    send_survey(ticket, contact.caller_number(ticket))


def _tell(number: str, language: str, text: str) -> None:
    send_sms(number, text, language, purpose="ticket:survey_reply")


def _opt_in(number: str, number_hash: str) -> str:
    """Start the surveys again for a number that had stopped them, and tell it so."""
    stopped = db.session.get(SurveyOptOut, number_hash)
    if stopped is None:
        return "ignored"  # never stopped: nothing changes, nothing to say
    db.session.delete(stopped)
    language = db.session.scalar(
        sa.select(Ticket.language)
        .where(Ticket.caller_hash == number_hash)
        .order_by(Ticket.id.desc())
        .limit(1)
    )
    if language is not None:
        with force_locale(language):
            _tell(
                number,
                language,
                gettext("You will receive our surveys again. Reply STOP at any time to stop them."),
            )
    return "opted_in"


def receive_reply(number: str, body: str) -> str:
    """Apply a texted reply from `number`; return what it did (answered, opted_out, ...)."""
    number_hash = phones.keyed_hash(number, current_app.config["PHONE_HASH_KEY"])
    if number_hash is None:
        return "ignored"
    read = read_reply(body)
    ticket = _waiting(number_hash)
    if read.kind == "stop":
        if not opted_out(number_hash):
            db.session.add(SurveyOptOut(number_hash=number_hash, at=to_storage(now())))
            if ticket is not None:
                with force_locale(ticket.language):
                    _tell(
                        number,
                        ticket.language,
                        gettext("You will receive no more surveys from the consular services."),
                    )
        return "opted_out"
    if read.kind == "start":
        return _opt_in(number, number_hash)
    if ticket is None:
        return "ignored"  # no survey waits for this number: nothing to answer, nobody to tell
    if read.kind == "score":
        first = ticket.survey_state != "answered"
        ticket.satisfaction, ticket.satisfaction_at = read.score, to_storage(now())
        ticket.survey_state = "answered"
        if first:
            with force_locale(ticket.language):
                _tell(
                    number,
                    ticket.language,
                    gettext("Thank you for your answer: it helps us serve you better."),
                )
        return "answered"
    if ticket.survey_state == "sent":
        ticket.survey_state = "clarified"
        with force_locale(ticket.language):
            _tell(
                number,
                ticket.language,
                gettext(
                    "Sorry, we could not read your answer. Please reply with one number only, "
                    "from 1 (not at all satisfied) to 5 (very satisfied), or STOP to receive "
                    "no more surveys."
                ),
            )
        return "clarified"
    return "ignored"
