"""What the phone menu forgets of a caller: their number on their calls, its time zone, their language.

Every call row stays (counts, languages, countries, durations, outcomes, times): only the
keyed hash and masked form of the number, the time zone the number gave the calls, and the
language remembered for the number go.
"""

from __future__ import annotations

import sqlalchemy as sa

from centre import phones
from centre.extensions import db, rows_changed
from centre.forgetting import Caller, Report
from ivr.models import Call, CallerPreference, CallEvent

PLAIN = {"synchronize_session": False}


def forget_caller(caller: Caller, report: Report) -> None:
    """Anonymise the caller's calls and drop the language their number chose."""
    _forget_time_zone(caller.digest)
    steps = (
        (
            # The words the caller said, the answers heard: their calls' story goes.
            "call steps' story",
            sa.update(CallEvent)
            .where(
                CallEvent.call_id.in_(sa.select(Call.id).where(Call.caller_hash == caller.digest))
            )
            .values(detail=None),
        ),
        (
            "calls",
            sa.update(Call)
            .where(Call.caller_hash == caller.digest)
            .values(caller_hash=None, caller_masked=phones.ANONYMISED),
        ),
        (
            "caller preferences",
            sa.delete(CallerPreference).where(CallerPreference.caller_hash == caller.digest),
        ),
    )
    for kind, statement in steps:
        report.add(kind, rows_changed(db.session.execute(statement, execution_options=PLAIN)))


def _forget_time_zone(digest: str, attempts: int = 5) -> None:
    """Drop the time zone the caller's number gave their calls, leaving each call's step alone.

    Plain UPDATEs, not an ORM flush: a live call's step is moved only by its webhooks (moved
    here, the caller's next key would look like a replay). Each is guarded on the step read,
    so a step the caller takes meanwhile is not overwritten: that call is read again.
    """
    calls = Call.__table__
    for _ in range(attempts):
        rows = db.session.execute(
            sa.select(calls.c.id, calls.c.step, calls.c.context).where(
                calls.c.caller_hash == digest
            )
        ).all()
        zoned = [row for row in rows if "tz" in (row.context or {})]
        if not zoned:
            return
        for row in zoned:
            context = {key: value for key, value in row.context.items() if key != "tz"}
            db.session.execute(
                sa.update(calls)
                .where(calls.c.id == row.id, calls.c.step == row.step)
                .values(context=context)
            )
    raise RuntimeError("a call of this caller kept moving; run the anonymising again")
