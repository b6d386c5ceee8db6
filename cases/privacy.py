"""What the case store forgets of a caller who asks to be forgotten.

A case is the consulate's record of an application, fed by the back office: it stays, with
its reference, status and history. What points to the caller goes: the number the back
office gave for text messages (`cases.phone_number`) and its keyed hash (`phone_hash`), on
every case that carries their number, so no more news of those cases is texted to them
(their history notes "no_phone"); and the keyed hash of the number on their lookups by phone
(`case_lookups.caller_hash`), whose outcomes stay for the figures. If the back office sends
the number again with a later change, that is its decision and the number is stored again.
"""

from __future__ import annotations

import sqlalchemy as sa

from cases.models import Case, CaseLookup
from centre.extensions import db, rows_changed
from centre.forgetting import Caller, Report

PLAIN = {"synchronize_session": False}


def forget_caller(caller: Caller, report: Report) -> None:
    """Drop the caller's number from their cases and its hash from their lookups."""
    steps = (
        (
            "case numbers",
            sa.update(Case)
            .where(sa.or_(Case.phone_hash == caller.digest, Case.phone_number == caller.number))
            .values(phone_hash=None, phone_number=None),
        ),
        (
            "case lookups",
            sa.update(CaseLookup)
            .where(CaseLookup.caller_hash == caller.digest)
            .values(caller_hash=None),
        ),
    )
    for kind, statement in steps:
        report.add(kind, rows_changed(db.session.execute(statement, execution_options=PLAIN)))
