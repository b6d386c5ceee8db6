"""The caller's story on their ticket, in the agent's language: what they did and heard, in order.

Read from the call's steps (ivr.state): each step's place in the menu, what the caller did
(a key, the words recognised, silence), the guide answers they heard or had texted, the
notices heard; then the wait in the queue and where the call ended. Never a node name, a
code or JSON: every line is a sentence of the catalogs, with the menu's places named.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask_babel import format_timedelta, gettext
from flask_babel import lazy_gettext as _l

from cases import lookups
from centre import languages, notices
from centre.formatting import isolated, page_locale
from ivr import state
from knowledge import services
from tickets.models import Ticket

# Where a caller is in the phone menu, as an agent reads it.
PLACES = {
    "language": _l("Language menu"),
    "welcome": _l("Welcome and notices"),
    "notice": _l("Service notice"),
    "main": _l("Main menu"),
    "feedback": _l("Complaints and suggestions"),
    "record": _l("Recorded message"),
    "agent": _l("Queue for an agent"),
    "callback_offer": _l("Callback offer"),
    "callback": _l("Callback booked"),
    "goodbye": _l("Goodbye"),
    "hung_up": _l("Hung up"),
    "put_through": _l("Put through to the agent who took the call"),
    "call_later": _l("Asked to call again later"),
    "guide": _l("Consular guide: what do you need?"),
    "guide_category": _l("Consular guide: a category"),
    "guide_choice": _l("Consular guide: choosing among answers"),
    "guide_not_found": _l("Consular guide: nothing found"),
    "guide_answer": _l("Consular guide: an answer read"),
    "guide_options": _l("Consular guide: after an answer"),
    "case_reference": _l("Case follow-up: the reference"),
    "case_reference_check": _l("Case follow-up: checking the reference"),
    "case_birth_date": _l("Case follow-up: the date of birth"),
    "case_birth_date_check": _l("Case follow-up: checking the date of birth"),
    "case_lookup": _l("Case follow-up: looking up the case"),
    "case_status": _l("Case follow-up: where the case stands"),
    "case_sms": _l("Case follow-up: status by text message"),
    "case_help": _l("Case follow-up: help"),
    "ticket_lookup": _l("Request follow-up: looking up the request"),
    "ticket_status": _l("Request follow-up: where the request stands"),
}
# How the caller left the queue (Twilio's QueueResult), as an agent reads it.
QUEUE_ENDS = {
    "bridged": _l("Waited %(time)s in the queue, then was put through to an agent."),
    "hangup": _l("Waited %(time)s in the queue, then hung up."),
    "leave": _l("Waited %(time)s in the queue, then asked to be called back instead."),
}
WAITED = _l("Waited %(time)s in the queue for an agent.")


# How each case lookup of the call ended, and the cases' statuses, as an agent reads them.
LOOKUP_OUTCOMES = {
    "found": _l("Case found"),
    "bad_check_digit": _l("Mistyped reference (check digit)"),
    "unknown_reference": _l("Unknown reference"),
    "wrong_birth_date": _l("Date of birth did not match"),
    "refused": _l("Refused: too many failed lookups from this number"),
    "ticket_found": _l("Request followed by its reference"),
    "ticket_unknown": _l("Unknown request reference"),
    "ticket_not_theirs": _l("Request reference of another number"),
}
CASE_STATUSES = {
    "received": _l("Received"),
    "in_review": _l("In review"),
    "awaiting_documents": _l("Awaiting documents"),
    "ready_for_collection": _l("Ready for collection"),
    "collected": _l("Collected"),
    "rejected": _l("Rejected"),
    "cancelled": _l("Cancelled"),
}


def place(node: str) -> str:
    """Return a place in the phone menu in the reader's language (never its internal name)."""
    name = PLACES.get(node)
    return str(name) if name is not None else gettext("another menu")


@dataclass
class Line:
    """One line of the story: when, where, what the caller did, and what followed."""

    at: datetime | None
    text: str
    facts: list[str] = field(default_factory=list)


def action(caller_input: str, detail: dict[str, Any]) -> str:
    """Return what the caller did at a step, in words."""
    if caller_input == "speech":
        said = str(detail.get("said") or "")
        # The caller's words, in their language: isolated in the agent's (an Arabic sentence
        # around French words, or the other way round).
        return (
            gettext("said “%(words)s”", words=isolated(said)) if said else gettext("spoken answer")
        )
    if caller_input in ("none", "timeout", ""):
        return gettext("silence")
    if caller_input.startswith("entry:"):
        return gettext("typed %(count)s digits", count=caller_input.removeprefix("entry:"))
    if caller_input == "*":
        return gettext("asked to hear it again")
    return gettext("key %(key)s", key=caller_input)


def _service_title(slug: str, caller_language: str) -> str:
    for code in dict.fromkeys((page_locale(), caller_language)):
        found = services.published(slug, code)
        if found is not None:
            return found.text.title
    return gettext("an answer no longer published")


def _notice_texts(ids: list[int], caller_language: str) -> list[str]:
    texts = notices.texts_of(ids, page_locale())
    return texts if len(texts) == len(ids) else notices.texts_of(ids, caller_language)


def _facts(detail: dict[str, Any], caller_language: str) -> list[str]:
    facts = []
    for text in _notice_texts([int(i) for i in detail.get("notices", [])], caller_language):
        facts.append(gettext("Heard the notice: “%(text)s”", text=isolated(text)))
    if detail.get("guide"):
        title = _service_title(str(detail["guide"]), caller_language)
        facts.append(gettext("Heard the guide's answer: %(title)s", title=isolated(title)))
    if detail.get("reminder"):
        facts.append(gettext("Asked for a text message shortly before the callback."))
    if detail.get("texted"):
        title = _service_title(str(detail["texted"]), caller_language)
        facts.append(
            gettext("Had this answer sent by text message: %(title)s", title=isolated(title))
        )
    return facts


def _span(seconds: float) -> str:
    return format_timedelta(timedelta(seconds=max(0, seconds)), threshold=1.1)


def of(ticket: Ticket) -> list[Line]:
    """Return the story of the ticket's call, oldest first (its stored path for older tickets)."""
    call, events = state.with_events(ticket.call_sid)
    language = ticket.language
    if call is None:
        return [
            Line(
                None,
                gettext(
                    "%(place)s: %(action)s → %(next)s",
                    place=place(step["from"]),
                    action=action(step["input"], {}),
                    next=place(step["to"]),
                ),
            )
            for step in ticket.ivr_path or ()
        ]
    lines = []
    for event in events:
        detail = event.detail or {}
        if event.from_node == "agent" and call.queue_entered_at is not None:
            lines.append(_wait(call.queue_entered_at, call.queue_left_at, call.queue_result))
            continue
        did = action(event.caller_input, detail)
        if event.from_node == "record" and event.caller_input == "#":
            did = gettext("left a recorded message")
        text = gettext(
            "%(place)s: %(action)s → %(next)s",
            place=place(event.from_node),
            action=did,
            next=place(event.to_node),
        )
        facts = _facts(detail, language)
        if event.from_node == "language" and event.to_node != "language" and call.language:
            chosen = languages.name_in(call.language, page_locale())
            facts.insert(0, gettext("The caller chose %(language)s.", language=chosen))
        lines.append(Line(event.created_at, text, facts))
    if call.queue_entered_at is not None and call.queue_left_at is None:
        lines.append(_wait(call.queue_entered_at, call.ended_at, call.queue_result))
    lines.extend(_lookups(ticket.call_sid, language))
    lines.sort(key=lambda line: (line.at is None, line.at or datetime.min))
    if call.ended_at is None:
        lines.append(Line(None, gettext("The call is still going.")))
    elif call.node in ("goodbye", "call_later") and call.status == "completed":
        lines.append(
            Line(
                call.ended_at,
                gettext(
                    "The call ended after the goodbye (%(time)s).", time=_span(call.duration or 0)
                ),
            )
        )
    else:
        # Hung up in the queue: the call's node says so; the place is the queue they were in.
        where = events[-1].from_node if call.node == "hung_up" and events else call.node
        lines.append(
            Line(
                call.ended_at,
                gettext(
                    "The caller hung up at: %(place)s (%(time)s).",
                    place=place(where),
                    time=_span(call.duration or 0),
                ),
            )
        )
    return lines


def _lookups(call_sid: str | None, caller_language: str) -> list[Line]:
    """Return a line per case looked up during the call: what was asked and what was heard."""
    lines = []
    for lookup, case in lookups.during_call(call_sid):
        outcome = str(LOOKUP_OUTCOMES.get(lookup.outcome, gettext("another outcome")))
        if case is not None and lookup.outcome == "found":
            # Not nested in the call below: pybabel extracts no message from inside another.
            status = CASE_STATUSES.get(case.status) or gettext("another status")
            text = gettext(
                "%(outcome)s: %(reference)s, %(service)s; the caller heard: %(status)s.",
                outcome=outcome,
                reference=isolated(case.reference),
                service=isolated(_service_title(case.service, caller_language)),
                status=status,
            )
        else:
            text = gettext("Case lookup: %(outcome)s.", outcome=outcome)
        lines.append(Line(lookup.at, text))
    return lines


def _wait(entered: datetime, left: datetime | None, result: str | None) -> Line:
    """Return the line of the caller's wait in the queue, and how it ended."""
    if left is None:
        return Line(entered, gettext("Is waiting in the queue for an agent."))
    sentence = QUEUE_ENDS.get(result or "", WAITED)
    return Line(left, str(sentence) % {"time": _span((left - entered).total_seconds())})
