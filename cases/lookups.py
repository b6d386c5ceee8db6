"""Looking a case up for a caller: the check, its log, and the limits against guessing.

Every failure looks alike from outside: a wrong check digit, an unknown reference and a
wrong date of birth cost the same keyed hash, the same comparison, the same two writes
(the counted attempt and the log row), and the caller hears the same sentence.

Each lookup is counted before it is checked, in one atomic step, and given back when it
finds the case: simultaneous lookups from one number cannot pass its limit. A hidden
number has no allowance of its own, and one shared by every hidden caller would let a
stranger lock them all out; so hidden callers are limited per call and per reference typed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa

from cases.models import Case, CaseLookup
from cases.references import is_well_formed, proofs_match, reference_hash
from centre import ratelimit
from centre.check_digit import luhn_check_digit
from centre.clock import now, to_storage
from centre.extensions import db
from tickets.models import Ticket
from tickets.services import REFERENCE_DIGITS as TICKET_REFERENCE_DIGITS

FAILURE_WINDOW = timedelta(hours=24)
MAX_FAILURES_PER_NUMBER = 5  # more than this in the window: no more lookups from the number
MAX_FAILURES_PER_CALL = 3
# Compared against when there is no case, so a miss costs what a wrong date costs.
_NO_CASE = hashlib.sha256(b"no such case").hexdigest()


@dataclass(frozen=True)
class Lookup:
    """The outcome of one lookup, and the case's id when it was found."""

    outcome: str
    case_id: int | None = None
    ticket_id: int | None = None  # a ticket followed by its reference

    @property
    def found(self) -> bool:
        """Return True when the caller proved the case (or the ticket) is theirs."""
        return self.outcome in ("found", "ticket_found")


def _number_key(caller_hash: str) -> str:
    return f"case-lookup-fail:{caller_hash}"


def _limit_key(caller_hash: str | None, ref_hash: str) -> str:
    if caller_hash:
        return _number_key(caller_hash)
    # Hidden numbers: the failures against one reference lock that reference for hidden
    # callers only (guessing its birth date), not every hidden caller's own lookup.
    return f"case-lookup-fail:hidden:{ref_hash}"


def is_refused(caller_hash: str | None) -> bool:
    """Return True when the number failed more than five times in the last 24 hours.

    A hidden number is never refused before it types a reference (`look_up` may refuse it).
    """
    if not caller_hash:
        return False
    return ratelimit.count(_number_key(caller_hash), FAILURE_WINDOW) > MAX_FAILURES_PER_NUMBER


def _log(
    outcome: str,
    call_sid: str | None,
    caller_hash: str | None,
    ref_hash: str | None,
    case_id: int | None = None,
) -> None:
    db.session.add(
        CaseLookup(
            at=to_storage(now()),
            call_sid=call_sid,
            caller_hash=caller_hash,
            outcome=outcome,
            reference_hash=ref_hash,
            case_id=case_id,
        )
    )


def during_call(call_sid: str | None) -> list[tuple[CaseLookup, Case | None]]:
    """Return a call's lookups, oldest first, each with the case it found (for the agent's ticket)."""
    if not call_sid:
        return []
    rows = db.session.execute(
        sa.select(CaseLookup, Case)
        .outerjoin(Case, Case.id == CaseLookup.case_id)
        .where(CaseLookup.call_sid == call_sid)
        .order_by(CaseLookup.at, CaseLookup.id)
    )
    return [(lookup, case) for lookup, case in rows]


def refuse(call_sid: str | None, caller_hash: str | None) -> None:
    """Log a lookup refused because the number is over its limit."""
    _log("refused", call_sid, caller_hash, None)


def look_up(
    reference: str, proof: str, call_sid: str | None, caller_hash: str | None, key: str
) -> Lookup:
    """Count the attempt against the number (or a hidden number's reference); check it; log it."""
    ref_hash = reference_hash(reference, key)
    limit_key = _limit_key(caller_hash, ref_hash)
    # The sixth failure is still checked; the attempts past it are refused unchecked.
    if ratelimit.hit(limit_key, FAILURE_WINDOW) > MAX_FAILURES_PER_NUMBER + 1:
        _log("refused", call_sid, caller_hash, ref_hash)
        return Lookup("refused")
    case = None
    if is_well_formed(reference):  # a mistyped number never reaches the cases table
        # The whole row: the answer that follows reads it from the session, not the database.
        case = db.session.scalar(sa.select(Case).where(Case.reference == reference))
    matched = proofs_match(proof, case.birth_date_proof if case else _NO_CASE)
    if case is not None and matched:
        _log("found", call_sid, caller_hash, ref_hash, case.id)
        ratelimit.release(limit_key)  # finding one's case is not a failure
        return Lookup("found", case.id)
    if not is_well_formed(reference):
        outcome = "bad_check_digit"
    elif case is None:
        outcome = "unknown_reference"
    else:
        outcome = "wrong_birth_date"
    _log(outcome, call_sid, caller_hash, ref_hash)
    return Lookup(outcome)


def look_up_ticket(
    reference: str, call_sid: str | None, caller_hash: str | None, key: str
) -> Lookup:
    """Find a ticket for the number that opened it; count, check and log it as a case lookup.

    A ticket reference alone proves nothing: only the number that opened the ticket may hear
    it. An unknown reference and another number's ticket fail alike, against the same limit.
    """
    ref_hash = reference_hash(reference, key)
    limit_key = _limit_key(caller_hash, ref_hash)
    if ratelimit.hit(limit_key, FAILURE_WINDOW) > MAX_FAILURES_PER_NUMBER + 1:
        _log("refused", call_sid, caller_hash, ref_hash)
        return Lookup("refused")
    ticket = None
    if is_ticket_reference(reference):
        ticket = db.session.scalar(sa.select(Ticket).where(Ticket.reference == reference))
    while ticket is not None and ticket.merged_into is not None:
        ticket = ticket.merged_into  # a duplicate merged since: its survivor carries on
    theirs = (
        bool(caller_hash)
        and ticket is not None
        and proofs_match(caller_hash or "", ticket.caller_hash or _NO_CASE)
    )
    if ticket is not None and theirs:
        _log("ticket_found", call_sid, caller_hash, ref_hash)
        ratelimit.release(limit_key)
        return Lookup("ticket_found", ticket_id=ticket.id)
    outcome = "ticket_unknown" if ticket is None else "ticket_not_theirs"
    _log(outcome, call_sid, caller_hash, ref_hash)
    return Lookup(outcome)


def is_ticket_reference(reference: str) -> bool:
    """Return True when `reference` has a ticket reference's shape and its check digit is right."""
    return (
        len(reference) == TICKET_REFERENCE_DIGITS
        and reference.isascii()
        and reference.isdigit()
        and luhn_check_digit(reference[:-1]) == reference[-1]
    )
