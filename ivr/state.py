"""Reading and writing the call's row: the only place call state lives between webhooks."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import current_app, request
from sqlalchemy.exc import IntegrityError

from centre import languages, phones
from centre.clock import now, to_storage
from centre.extensions import db
from ivr.models import Call, CallerPreference, CallEvent


def caller_number() -> str | None:
    """Return the caller's number from the webhook, or None when it is hidden or malformed."""
    return phones.normalise(request.form.get("From"))


def load(call_sid: str) -> Call | None:
    """Return the call with this CallSid, if any."""
    return db.session.scalar(sa.select(Call).where(Call.call_sid == call_sid))


def language_order(caller_hash: str | None, country: str | None) -> list[str]:
    """Return the languages in the order offered: last used, the country's, then the rest."""
    first: list[str] = []
    if caller_hash is not None:
        remembered = db.session.get(CallerPreference, caller_hash)
        if remembered is not None and remembered.language in languages.BY_CODE:
            first.append(remembered.language)
    usual = languages.COUNTRY_LANGUAGE.get(country or "")
    if usual and usual not in first:
        first.append(usual)
    return first + [code for code in languages.CODES if code not in first]


def start(call_sid: str) -> Call:
    """Create the row of a new call, or return the existing one if Twilio sent it twice."""
    caller = request.form.get("From")
    dialled = (request.form.get("To") or "")[:32]
    caller_hash = phones.keyed_hash(caller, current_app.config["PHONE_HASH_KEY"])
    country = phones.country(dialled)
    zone = phones.certain_timezone(caller)
    call = Call(
        call_sid=call_sid,
        caller_hash=caller_hash,
        caller_masked=phones.mask(caller),
        dialled=dialled,
        country=country,
        offered=" ".join(language_order(caller_hash, country)),
        node="language",
        retries=0,
        context={"tz": zone} if zone else {},
        started_at=to_storage(now()),
    )
    try:
        with db.session.begin_nested():
            db.session.add(call)
    except IntegrityError:
        existing = load(call_sid)
        if existing is None:
            raise
        return existing
    return call


def remember_language(caller_hash: str | None, language: str) -> None:
    """Remember a caller's language for their next call (keyed by the HMAC of their number)."""
    if caller_hash is None:
        return
    preference = db.session.get(CallerPreference, caller_hash)
    if preference is None:
        db.session.add(
            CallerPreference(
                caller_hash=caller_hash, language=language, updated_at=to_storage(now())
            )
        )
    else:
        preference.language = language
        preference.updated_at = to_storage(now())


def record_step(call: Call, to_node: str, caller_input: str) -> None:
    """Add the step being taken to the call's path (unique per call and step).

    A plain INSERT, sent at once: cheaper than the unit of work on every webhook, and a
    replay collides with the unique (call, step) right here.
    """
    db.session.execute(
        sa.insert(CallEvent).values(
            call_id=call.id,
            step=call.step,
            from_node=call.node,
            to_node=to_node,
            caller_input=caller_input,
            created_at=to_storage(now()),
        )
    )


def path(call: Call) -> list[dict[str, Any]]:
    """Return the call's path so far, for an agent to read."""
    stored = db.session.scalars(
        sa.select(CallEvent).where(CallEvent.call_id == call.id).order_by(CallEvent.step)
    )
    return [{"from": e.from_node, "input": e.caller_input, "to": e.to_node} for e in stored]


def queued(language_codes: list[str]) -> list[Call]:
    """Return the calls waiting for an agent in these languages, longest-waiting first."""
    query = (
        sa.select(Call)
        .where(
            Call.language.in_(language_codes),
            Call.queue_entered_at.is_not(None),
            Call.queue_left_at.is_(None),
            Call.ended_at.is_(None),
        )
        .order_by(Call.queue_entered_at, Call.id)
        .limit(50)
    )
    return list(db.session.scalars(query))
