"""Main-menu option 2: the caller types their reference and date of birth and hears the status.

    case_reference -> case_reference_check -> case_birth_date -> case_birth_date_check
        -> case_lookup -> case_status (-> case_sms)     or back to case_reference, or case_help

A ticket's reference (nine digits: a complaint, a suggestion, a callback) typed at the same
prompt is followed instead, for the number that opened the ticket only:

    case_reference -> ticket_lookup -> ticket_status     or back to case_reference, or case_help

The call's context holds the typed reference and, between the date's entry and its
confirmation, only a keyed proof of the date (never the date). Both go at the lookup.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from flask import current_app
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from cases import lookups
from cases.changes import news_of
from cases.following import ticket_sentences
from cases.models import Case
from cases.references import REFERENCE_DIGITS, birth_date_proof
from cases.wording import message_text, spoken_day, status_sentences
from centre.clock import now
from centre.extensions import db
from centre.formatting import digit_by_digit
from centre.messaging import send_sms
from ivr import state
from ivr.flow import (
    AGENT_OPTION,
    MAIN_MENU_OPTION,
    DigitEntry,
    Go,
    Menu,
    Node,
    Option,
    Step,
    register,
    register_topics,
)
from tickets.models import Ticket
from tickets.services import REFERENCE_DIGITS as TICKET_REFERENCE_DIGITS

BIRTH_DATE_DIGITS = 8  # DDMMYYYY
EXAMPLE_BIRTH_DATE = date(1984, 3, 5)
TRANSIENT = ("case_ref", "case_proof", "case_id", "ticket_ref", "ticket_id")


def _neutral() -> str:
    # The one sentence for every failure: it must never tell which part was wrong.
    return gettext("We could not confirm an application with the details you typed.")


def _refused_sentences(hidden: bool = False) -> tuple[str, ...]:
    if hidden:  # refused for the reference typed, not for the number (there is none)
        first = gettext(
            "For your security, this application cannot be checked from a hidden number for now."
        )
    else:
        first = gettext(
            "For your security, applications cannot be checked from this number for now."
        )
    return (first, gettext("Please try again tomorrow, or speak to an agent."))


# --- the reference ----------------------------------------------------------------------


class CaseReference(DigitEntry):
    """Ask for the reference, unless this call or this number may not look up any more."""

    def __init__(self) -> None:
        """Describe the reference entry."""
        super().__init__(
            "case_reference",
            lambda step: (
                gettext(
                    "Please type your application reference number, ten digits, or the "
                    "reference of your request, nine digits, then press the hash key."
                ),
            ),
            self._accept,
            max_digits=REFERENCE_DIGITS + 1,
            exhausted="agent",
        )

    def enter(self, step: Step) -> Go | None:
        """Start afresh; refuse after three failures in the call or too many from the number."""
        step.set_context(**dict.fromkeys(TRANSIENT))
        call = step.call
        if call.context.get("case_failures", 0) >= lookups.MAX_FAILURES_PER_CALL:
            return Go(
                "case_help",
                preface=(
                    gettext(
                        "For your security, no more applications can be checked during this call."
                    ),
                ),
            )
        if lookups.is_refused(call.caller_hash):
            lookups.refuse(call.call_sid, call.caller_hash)
            return Go("case_help", preface=_refused_sentences())
        return None

    def _accept(self, step: Step, digits: str) -> Go | str:
        if digits.isdigit() and len(digits) == TICKET_REFERENCE_DIGITS:
            step.set_context(ticket_ref=digits)
            return Go("ticket_lookup")
        if len(digits) != REFERENCE_DIGITS or not digits.isdigit():
            return gettext(
                "An application reference has ten digits; the reference of a request has nine."
            )
        step.set_context(case_ref=digits)
        return Go("case_reference_check")


def _confirm_options(correct: str, again: str) -> Callable[[Step], list[Option]]:
    def options(step: Step) -> list[Option]:
        return [
            Option("1", _l("If this is correct, press %(key)s."), correct, _l("yes, correct")),
            Option("2", _l("To type it again, press %(key)s."), again, _l("no, again")),
        ]

    return options


def _reference_read_back(step: Step) -> tuple[str, ...]:
    reference = step.call.context.get("case_ref", "")
    return (
        gettext("You typed the reference number %(digits)s.", digits=digit_by_digit(reference)),
    )


# --- the date of birth ------------------------------------------------------------------


def _birth_date_prompt(step: Step) -> tuple[str, ...]:
    return (
        gettext(
            "Now type the date of birth of the applicant, eight digits: two for the day, "
            "two for the month and four for the year, then press the hash key."
        ),
    )


def _accept_birth_date(step: Step, digits: str) -> Go | str:
    born = _birth_date(digits)
    locale = step.language.babel_locale
    if born is None:
        return gettext(
            "That is not a valid date. For example, for %(date)s, type %(digits)s.",
            date=spoken_day(EXAMPLE_BIRTH_DATE, locale, "long"),
            digits=digit_by_digit(EXAMPLE_BIRTH_DATE.strftime("%d%m%Y")),
        )
    reference = step.call.context.get("case_ref", "")
    step.set_context(
        case_proof=birth_date_proof(reference, born, current_app.config["PHONE_HASH_KEY"])
    )
    # Read back now, once: the date itself is not kept for a later repeat.
    read_back = gettext(
        "You typed the date of birth %(date)s.", date=spoken_day(born, locale, "long")
    )
    return Go("case_birth_date_check", preface=(read_back,))


def _birth_date(digits: str) -> date | None:
    if len(digits) != BIRTH_DATE_DIGITS or not digits.isdigit():
        return None
    try:
        born = date(int(digits[4:]), int(digits[2:4]), int(digits[:2]))
    except ValueError:
        return None
    return born if date(1900, 1, 1) <= born <= now().date() else None


# --- the lookup and the answer ----------------------------------------------------------


class CaseLookupStep(Node):
    """Check what the caller typed; pass on to the status, a new try, or help."""

    name = "case_lookup"

    def enter(self, step: Step) -> Go:
        """Look the case up once; the reference and the proof leave the context here."""
        call = step.call
        reference = call.context.get("case_ref")
        proof = call.context.get("case_proof")
        step.set_context(case_ref=None, case_proof=None)
        if not reference or not proof:
            return Go("case_reference")
        found = lookups.look_up(
            reference, proof, call.call_sid, call.caller_hash, current_app.config["PHONE_HASH_KEY"]
        )
        if found.found:
            step.set_context(case_id=found.case_id)
            return Go("case_status")
        if found.outcome == "refused":
            return Go("case_help", preface=_refused_sentences(hidden=not call.caller_hash))
        failures = call.context.get("case_failures", 0) + 1
        step.set_context(case_failures=failures)
        if failures >= lookups.MAX_FAILURES_PER_CALL:
            ended = gettext(
                "For your security, no more applications can be checked during this call."
            )
            return Go("case_help", preface=(_neutral(), ended))
        again = gettext("Please check the reference number and the date of birth, and try again.")
        return Go("case_reference", preface=(_neutral(), again))


class TicketLookupStep(Node):
    """Follow a ticket by its reference, for the number that opened it; or a new try, or help."""

    name = "ticket_lookup"

    def enter(self, step: Step) -> Go:
        """Look the ticket up once, under the case lookups' limits; the reference leaves here."""
        call = step.call
        reference = call.context.get("ticket_ref")
        step.set_context(ticket_ref=None)
        if not reference:
            return Go("case_reference")
        found = lookups.look_up_ticket(
            reference, call.call_sid, call.caller_hash, current_app.config["PHONE_HASH_KEY"]
        )
        if found.found:
            step.set_context(ticket_id=found.ticket_id)
            return Go("ticket_status")
        if found.outcome == "refused":
            return Go("case_help", preface=_refused_sentences(hidden=not call.caller_hash))
        failures = call.context.get("case_failures", 0) + 1
        step.set_context(case_failures=failures)
        # One sentence whether the reference is unknown or another number's: it tells nothing.
        neutral = gettext(
            "We could not confirm a request made from this number with the reference you typed."
        )
        if failures >= lookups.MAX_FAILURES_PER_CALL:
            ended = gettext(
                "For your security, no more applications can be checked during this call."
            )
            return Go("case_help", preface=(neutral, ended))
        again = gettext(
            "A request can only be followed from the number that made it. "
            "Please check the reference number and try again."
        )
        return Go("case_reference", preface=(neutral, again))


def _ticket_intro(step: Step) -> list[str]:
    ticket_id = step.call.context.get("ticket_id")
    ticket = db.session.get(Ticket, ticket_id) if ticket_id else None
    if ticket is None:
        return []
    return ticket_sentences(ticket, step.language.babel_locale)


def _case(step: Step) -> Case | None:
    case_id = step.call.context.get("case_id")
    return db.session.get(Case, case_id) if case_id else None


def _status_intro(step: Step) -> list[str]:
    case = _case(step)
    if case is None:
        return []
    return status_sentences(news_of(case), step.language.babel_locale)


def _status_options(step: Step) -> list[Option]:
    return [
        Option(
            "1",
            _l("To receive this information by text message, press %(key)s."),
            "case_sms",
            _l("text message, SMS, message"),
            available=lambda s: state.caller_number() is not None,
        ),
        AGENT_OPTION,
        MAIN_MENU_OPTION,
    ]


class CaseSms(Node):
    """Text the caller what they just heard (once per case and call)."""

    name = "case_sms"

    def enter(self, step: Step) -> Go:
        """Send the status to the calling number, then back to the main menu."""
        case = _case(step)
        number = state.caller_number()
        if case is None or number is None:
            return Go("main")
        if step.call.context.get("case_texted") != case.id:
            language = step.language
            body = message_text(news_of(case), language.babel_locale, proactive=False)
            send_sms(number, body, language.code, purpose="case:lookup")
            step.set_context(case_texted=case.id)
        return Go("main", preface=(gettext("We have sent you a text message."),))


def _help_options(step: Step) -> list[Option]:
    return [
        AGENT_OPTION,
        MAIN_MENU_OPTION,
    ]


def _status_topics(step: Step) -> list[tuple[str, str]]:
    """Return the status topic of the case being read: its service's notices are for this caller."""
    case = _case(step)
    return [("case_status", case.service)] if case else []


def register_nodes() -> None:
    """Add the case lookup's nodes (option 2 of the main menu) to the call flow."""
    register(CaseReference())
    register(
        Menu(
            "case_reference_check",
            _reference_read_back,
            _confirm_options("case_birth_date", "case_reference"),
            exhausted="agent",
        )
    )
    register(
        DigitEntry(
            "case_birth_date",
            _birth_date_prompt,
            _accept_birth_date,
            max_digits=BIRTH_DATE_DIGITS + 1,
            exhausted="agent",
        )
    )
    register(
        Menu(
            "case_birth_date_check",
            lambda step: (),
            _confirm_options("case_lookup", "case_birth_date"),
            exhausted="agent",
        )
    )
    register(CaseLookupStep())
    register(TicketLookupStep())
    register(Menu("ticket_status", _ticket_intro, _help_options, exhausted="agent"))
    register(Menu("case_status", _status_intro, _status_options, exhausted="agent"))
    register_topics("case_status", _status_topics)
    register(CaseSms())
    register(Menu("case_help", lambda step: (), _help_options, exhausted="agent", kept=True))
