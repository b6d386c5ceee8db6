"""A believable recent week for `flask setup --demo`: calls, tickets, callbacks, a closure.

Three thousand calls over the seven days before now, spread as a centre sees them (Monday
and the evenings busiest, the closed weekend quiet, the seven languages and 26 countries in
plausible shares), every one of them ended; the tickets those calls opened, worked by the
demo agents in every state with notes, recordings on the messages; callbacks done, missed
and still booked; case lookups; phrases the guide did not know; and a closure that moves
booked callbacks and texts their callers. A fixed seed gives the same week every time, and
a second run adds nothing. Rows are built directly (one flush per kind), not webhook by
webhook: the week is history, not a replay.
"""

from __future__ import annotations

import random
import secrets
from collections import Counter
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import phonenumbers
import sqlalchemy as sa
from flask import current_app

from cases.models import Case, CaseLookup
from centre import calendar, languages, phones
from centre.clock import CENTRE_TZ, from_storage, now, to_storage
from centre.extensions import db
from ivr import sounds
from ivr.models import Call
from knowledge.services import log_agent_request, log_unmatched
from operations import running
from staff import accounts, audit
from staff.models import StaffUser
from tickets import callbacks, sla
from tickets.models import Callback, CallbackAttempt, Recording, Ticket, TicketNote
from tickets.services import open_ticket

# --- a believable recent week (issue 17) ---------------------------------------------------

WEEK_PREFIX = "CAweek"  # every call of the demo week: its CallSid starts so
WEEK_CALLS = 3000
WEEK_SEED = 17
# How a week's calls fall: Monday busiest, the weekend quiet (the centre is closed); by
# Moroccan hour, a morning rise, a lunch dip and the evening peak after work.
DAY_WEIGHTS = (1.45, 1.1, 1.0, 1.0, 0.95, 0.3, 0.2)  # Monday .. Sunday
HOUR_WEIGHTS = {
    8: 3,
    9: 6,
    10: 7,
    11: 7,
    12: 5,
    13: 4,
    14: 6,
    15: 6,
    16: 7,
    17: 10,
    18: 12,
    19: 11,
    20: 3,
    21: 2,
    7: 1,
    22: 1,
}
# Where callers live (the 26 countries of the toll-free numbers), in plausible shares.
COUNTRY_WEIGHTS = {
    "FR": 27,
    "ES": 15,
    "IT": 12,
    "BE": 9,
    "NL": 9,
    "DE": 8,
    "GB": 3,
    "CH": 2.5,
    "PT": 1.5,
    "AT": 1.2,
    "LU": 0.8,
    "SE": 1,
    "DK": 0.8,
    "NO": 0.8,
    "IE": 0.6,
    "PL": 0.6,
    "RO": 0.5,
    "GR": 0.4,
    "CZ": 0.4,
    "HU": 0.4,
    "FI": 0.4,
    "HR": 0.3,
    "BG": 0.3,
    "SK": 0.3,
    "SI": 0.2,
    "MT": 0.2,
}
# What callers came for, when the centre is open.
JOURNEYS = {
    "guide": 38,
    "case": 14,
    "feedback": 8,
    "agent": 24,
    "callback": 7,
    "abandoned": 5,
    "hung_up": 2,
    "failed": 1,
}
GUIDE_SLUGS = (
    "passport",
    "national-id-card",
    "consular-registration",
    "birth-declaration",
    "civil-status-extracts",
    "legalisation",
    "power-of-attorney",
    "marriage",
    "appointments",
    "fees-and-payment",
    "visa",
    "change-of-residence",
)
FEEDBACK = ("complaint", "complaint", "suggestion", "observation")
UNMATCHED = [
    ("fr", "transfert d'argent vers le maroc"),
    ("fr", "horaires du ferry tanger"),
    ("ar", "كيف أرسل طرد إلى المغرب"),
    ("es", "precio del billete a casablanca"),
    ("it", "lavoro in marocco"),
    ("nl", "belasting in marokko betalen"),
    ("de", "wetter in agadir"),
    ("en", "phone credit for morocco"),
]
# What agents write, in the language each of them works in (data, not interface text).
NOTES = {
    "fr": [
        "Rappelée : la liste des pièces pour le passeport lui a été lue.",
        "Le rendez-vous en ligne ne s'affiche pas ; transmis au consulat de Paris.",
        "Réclamation sur l'attente au guichet, transmise au chef de poste.",
    ],
    "ar": [
        "تم الاتصال بالمواطن وشرح الوثائق المطلوبة لبطاقة التعريف.",
        "أحيلت الشكاية إلى القنصلية المعنية.",
        "طلب موعدا قريبا؛ تم توجيهه إلى الحجز عبر الإنترنت.",
    ],
    "en": [
        "Caller advised to book online; link sent by text.",
        "Passed to the consulate in Brussels: documents checked twice at the counter.",
        "Asked about a lost passport abroad; emergency travel document explained.",
    ],
}
HUNG_UP = {
    "fr": "La personne a raccroché avant qu'un conseiller ne réponde.",
    "ar": "أنهى المتصل المكالمة قبل رد أحد الموظفين.",
    "en": "The caller hung up before an agent answered.",
}
RESOLUTIONS = {
    "fr": "Réponse donnée, la personne est satisfaite.",
    "ar": "تمت الإجابة عن الطلب.",
    "en": "Answered; nothing more to do.",
}
AGENTS = {
    "fr": "agent.fr@example.org",
    "es": "agent.fr@example.org",
    "ar": "agent.ar@example.org",
    "en": "agent.en@example.org",
    "nl": "agent.en@example.org",
    "de": "agent.en@example.org",
    "it": "agent.en@example.org",
}
NOTE_LOCALE = {
    "agent.fr@example.org": "fr",
    "agent.ar@example.org": "ar",
    "agent.en@example.org": "en",
}


def week_lines() -> list[str]:
    """Build the demo week unless it is there; return what `flask setup --demo` prints of it."""
    if db.session.scalar(sa.select(Call.id).where(Call.call_sid.startswith(WEEK_PREFIX))):
        return ["Demo week already present."]
    built = build_week(now())
    return [
        f"Demo week: {built['calls']} calls over the last 7 days, {built['tickets']} tickets, "
        f"{built['moved']} callbacks moved by a closure."
    ]


def _weighted(rng: random.Random, weights: Mapping[Any, float]) -> Any:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _moments(rng: random.Random, end: datetime) -> list[datetime]:
    """Return WEEK_CALLS start times over the 7 days before `end`, as a centre sees them."""
    local_end = end.astimezone(CENTRE_TZ)
    first_day = local_end.date() - timedelta(days=7)
    slots: dict[datetime, float] = {}
    for offset in range(8):
        day = first_day + timedelta(days=offset)
        for hour, weight in HOUR_WEIGHTS.items():
            start = datetime(day.year, day.month, day.day, hour, tzinfo=CENTRE_TZ)
            if local_end - timedelta(days=7) <= start < local_end - timedelta(hours=1):
                slots[start] = DAY_WEIGHTS[day.weekday()] * weight
    starts = rng.choices(list(slots), weights=list(slots.values()), k=WEEK_CALLS)
    return sorted(start + timedelta(seconds=rng.randrange(3600)) for start in starts)


def _caller(rng: random.Random, country: str) -> str:
    """Return a made-up mobile number of `country`, valid in its national plan."""
    example = phonenumbers.example_number_for_type(country, phonenumbers.PhoneNumberType.MOBILE)
    assert example is not None, country  # every centre country has an example mobile
    digits = str(example.national_number)
    for _ in range(20):
        tail = "".join(rng.choice("0123456789") for _ in range(4))
        candidate = f"+{example.country_code}{digits[:-4]}{tail}"
        if phones.parse(candidate) is not None:
            return candidate
    return f"+{example.country_code}{digits}"


def _dialled(country: str) -> str:
    """Return the centre's (fictional) toll-free number in `country`."""
    return f"+{phonenumbers.country_code_for_region(country)}800000000"


def _language(rng: random.Random, country: str) -> str:
    if rng.random() < 0.3:
        return "ar"
    usual = languages.COUNTRY_LANGUAGE.get(country, "en")
    return usual if rng.random() < 0.85 else rng.choice(("fr", "en", "es"))


def build_week(end: datetime) -> dict[str, int]:
    """Add the week before `end`; return how many calls, tickets and moved callbacks."""
    rng = random.Random(WEEK_SEED)
    key = current_app.config["PHONE_HASH_KEY"]
    agents = {email: accounts.by_email(email) for email in set(AGENTS.values())}
    supervisor = accounts.by_email("supervisor@example.org")
    case_ids = list(db.session.scalars(sa.select(Case.id).order_by(Case.id)))
    calls: list[Call] = []
    work: list[tuple[Call, str, str]] = []  # (call, journey, number) that left a ticket
    for n, started in enumerate(_moments(rng, end)):
        country = _weighted(rng, COUNTRY_WEIGHTS)
        language = _language(rng, country)
        number = _caller(rng, country)
        open_then = calendar.is_open(started)
        journey = _weighted(rng, JOURNEYS)
        if not open_then and journey in ("agent", "abandoned", "feedback", "case"):
            journey = rng.choice(("guide", "callback", "hung_up"))  # closed: no queue
        call = _call(rng, n, started, number, country, language, journey, key)
        calls.append(call)
        if journey in ("feedback", "agent", "abandoned", "callback"):
            work.append((call, journey, number))
    db.session.add_all(calls)
    db.session.flush()
    lookups = [_lookup(rng, call, case_ids) for call in calls if call.context.get("case")]
    db.session.add_all(lookups)
    taken: Counter[datetime] = Counter()  # callbacks per slot
    tickets = [
        _ticket(rng, call, journey, number, key, agents, end, taken)
        for call, journey, number in work
    ]
    db.session.flush()
    _surveys(tickets, end)
    for phrase_language, phrase in UNMATCHED:
        for _ in range(rng.randint(1, 6)):
            log_unmatched(phrase, phrase_language)
    log_agent_request("je veux parler à quelqu'un pour la kafala", "fr")
    moved = _closure_over_booked_callbacks(rng, end, key, supervisor)
    return {"calls": len(calls), "tickets": len(tickets), "moved": moved}


def _call(
    rng: random.Random,
    n: int,
    started: datetime,
    number: str,
    country: str,
    language: str,
    journey: str,
    key: str,
) -> Call:
    """Return one ended call of the week, as the webhooks and the status callback leave it."""
    context: dict[str, Any] = {}
    duration = rng.randint(60, 240)
    queued = journey in ("agent", "abandoned") or (journey == "callback" and rng.random() < 0.6)
    # Most callers are answered within a minute or two; a few wait long (busy evenings).
    wait = min(900, 10 + int(rng.expovariate(1 / 75))) if queued else 0
    outcome, status = "self_service", "completed"
    queue_result = None
    if journey == "guide":
        context["guide_slug"] = rng.choice(GUIDE_SLUGS)
    elif journey == "case":
        context["case"] = True
    elif journey == "agent":
        outcome, queue_result = "escalated", "bridged"
        duration += wait + rng.randint(120, 600)
    elif journey == "abandoned":
        outcome, queue_result = "abandoned", "hangup"
        duration += wait
    elif journey == "callback":
        outcome, queue_result = "escalated", ("leave" if queued else None)
        context["callback_texted"] = True
    elif journey == "feedback":
        context["feedback"] = True
    elif journey == "failed":
        outcome = status = rng.choice(("busy", "failed", "no-answer"))
        duration = 0
    code = languages.get(language)
    entered = started + timedelta(seconds=40) if queued else None
    return Call(
        call_sid=f"{WEEK_PREFIX}{n:026d}",
        caller_hash=phones.keyed_hash(number, key),
        caller_masked=phones.mask(number),
        dialled=_dialled(country),
        country=country,
        language=code.code,
        offered=" ".join(languages.CODES),
        node="goodbye",
        context=context,
        started_at=to_storage(started),
        ended_at=to_storage(started + timedelta(seconds=duration)),
        status=status,
        duration=duration,
        outcome=outcome,
        queue_entered_at=to_storage(entered) if entered else None,
        queue_left_at=to_storage(entered + timedelta(seconds=wait)) if entered else None,
        queue_result=queue_result,
    )


def _lookup(rng: random.Random, call: Call, case_ids: list[int]) -> CaseLookup:
    """Return the case lookup a call of option 2 made: mostly found, some wrong dates."""
    found = bool(case_ids) and rng.random() < 0.8
    return CaseLookup(
        at=call.started_at + timedelta(seconds=70),
        call_sid=call.call_sid,
        caller_hash=call.caller_hash,
        outcome="found" if found else rng.choice(("wrong_birth_date", "unknown_reference")),
        reference_hash=None,
        case_id=rng.choice(case_ids) if found else None,
    )


def _ticket(
    rng: random.Random,
    call: Call,
    journey: str,
    number: str,
    key: str,
    agents: dict[str, StaffUser | None],
    end: datetime,
    taken: Counter[datetime],
) -> Ticket:
    """Open the ticket a call left, then work it as the desk's agents would have."""
    kind = {"feedback": rng.choice(FEEDBACK), "callback": "callback"}.get(journey, "escalated_call")
    opened = call.queue_entered_at or call.started_at + timedelta(seconds=50)
    ticket = open_ticket(
        kind,
        call.language or "fr",
        number,
        key,
        country=call.country,
        call_sid=call.call_sid,
        source_key=f"{call.call_sid}:{kind}",
        ivr_path=_journey(rng, call, kind),
        at=from_storage(opened),
    )
    ticket.created_at = ticket.updated_at = opened
    if kind in FEEDBACK:
        seconds = rng.randint(8, 60)
        sid = "RE" + secrets.token_hex(16)
        # The app holds a short message (the simulator's), so the desk's player works offline.
        db.session.add(
            Recording(
                ticket=ticket,
                recording_sid=sid,
                duration=sounds.MESSAGE_SECONDS,
                url="app",
                audio=sounds.message(),
                created_at=opened + timedelta(seconds=seconds + 5),
            )
        )
        ticket.has_message = True
    agent = agents.get(AGENTS.get(ticket.language, "agent.en@example.org"))
    if kind == "callback":
        _past_callback(rng, ticket, number, opened, agent, end, taken)
    else:
        _work(rng, ticket, journey, agent, to_storage(end) - opened)
    return ticket


def _step(left: str, pressed: str, reached: str) -> dict[str, str]:
    return {"from": left, "input": pressed, "to": reached}


def _journey(rng: random.Random, call: Call, kind: str) -> list[dict[str, str]]:
    """Return the menu path the call took to leave this ticket, as the call's steps record it."""
    path = [_step("language", languages.get(call.language).digit, "welcome")]
    if kind == "escalated_call":
        return [*path, _step("main", "0", "agent")]
    if kind == "callback" and call.queue_entered_at is not None:
        return [*path, _step("main", "0", "agent"), _step("agent", "1", "callback")]
    if kind == "callback":
        return [
            *path,
            _step("main", "0", "callback_offer"),
            _step("callback_offer", "1", "callback"),
        ]
    key = {"complaint": "1", "suggestion": "2", "observation": "3"}[kind]
    said = "speech" if rng.random() < 0.2 else "3"  # some say "réclamation" instead of a key
    return [*path, _step("main", said, "feedback"), _step("feedback", key, "record")]


def _past_callback(
    rng: random.Random,
    ticket: Ticket,
    number: str,
    opened: datetime,
    agent: StaffUser | None,
    end: datetime,
    taken: Counter[datetime],
) -> None:
    """Book the callback at the first open slot with room, then settle it if its time is past."""
    slot = calendar.next_opening(from_storage(opened) + timedelta(minutes=30))
    while slot is not None and taken[slot] >= current_app.config["CALLBACK_SLOT_CAPACITY"]:
        slot = calendar.next_opening(slot + timedelta(minutes=15))
    moment = slot or from_storage(opened) + timedelta(hours=1)
    taken[moment] += 1
    scheduled = to_storage(moment)
    ticket.callback = Callback(
        number=number, priority_at=opened, not_before=scheduled, scheduled_at=scheduled
    )
    sla.set_due(ticket)  # an open hour after the booked time
    if agent is None or moment > end:
        return  # still to come: booked, the ticket new
    outcome = rng.choices(("reached", "no_answer"), weights=(92, 8))[0]
    at = _attempt(rng, ticket, agent, scheduled, outcome)
    locale = NOTE_LOCALE[agent.email]
    if outcome == "no_answer":
        again = calendar.next_opening(from_storage(at) + timedelta(days=1))
        if again is None or again > end:
            _change(ticket, agent, "waiting", "", "note", at)  # the callback's note says it
            return
        at = _attempt(rng, ticket, agent, to_storage(again), "reached")  # tried again next day
    status = "closed" if rng.random() < 0.4 else "resolved"
    _change(ticket, agent, status, RESOLUTIONS[locale], "resolution", at)


def _attempt(
    rng: random.Random, ticket: Ticket, agent: StaffUser, placed: datetime, outcome: str
) -> datetime:
    """Record one call back placed at `placed` and its outcome (with the desk's note); return when."""
    assert ticket.callback is not None
    ticket.callback.state = "done" if outcome == "reached" else "no_answer"
    at = placed + timedelta(minutes=rng.randint(1, 12))
    db.session.add(
        CallbackAttempt(
            ticket=ticket, agent_id=agent.id, requested_at=placed, outcome=outcome, outcome_at=at
        )
    )
    db.session.add(
        TicketNote(
            ticket=ticket,
            author=agent,
            kind="callback",
            body="",
            params={"outcome": outcome},
            created_at=at,
        )
    )
    return at


def _work(
    rng: random.Random, ticket: Ticket, journey: str, agent: StaffUser | None, age: timedelta
) -> None:
    """Move the ticket as far as an agent would have by now: the older, the further."""
    if agent is None:
        return
    locale = NOTE_LOCALE[agent.email]
    if journey == "abandoned":
        at = ticket.created_at + timedelta(minutes=rng.randint(5, 60))
        _change(ticket, agent, "closed", HUNG_UP[locale], "resolution", at)
        return
    days = age.total_seconds() / 86400
    if journey == "agent":  # the agent who took the call settles it as it ends
        done = rng.random() < (0.995 if days > 0.2 else 0.6)
        at = ticket.created_at + timedelta(minutes=rng.randint(3, 25))
    else:
        done = rng.random() < (0.97 if days > 3 else 0.75 if days > 1 else 0.3)
        at = ticket.created_at + timedelta(minutes=rng.randint(10, 240))
    if done:
        if rng.random() < 0.4:
            _change(ticket, agent, "open", rng.choice(NOTES[locale]), "note", at)
            at += timedelta(minutes=rng.randint(5, 120))
        status = "closed" if rng.random() < 0.4 else "resolved"
        _change(ticket, agent, status, RESOLUTIONS[locale], "resolution", at)
        return
    state = rng.choice(("new", "open", "open", "waiting"))
    if state == "new":
        return
    _change(
        ticket, agent, state, rng.choice(NOTES[locale]) if state == "waiting" else "", "note", at
    )


# How callers answer the satisfaction survey, when they do (about half of them).
SURVEY_SCORES = {5: 40, 4: 28, 3: 12, 2: 8, 1: 12}


def _surveys(tickets: list[Ticket], end: datetime) -> None:
    """Survey the callers of the resolved tickets; about half answer within hours.

    Their own random draws (not the week's): the rest of the week stays as it was.
    """
    rng = random.Random(WEEK_SEED + 1)
    for ticket in sorted(tickets, key=lambda t: t.id):
        if (
            ticket.status != "resolved"
            or ticket.caller_hash is None
            or ticket.type == "observation"
        ):
            continue
        ticket.resolved_by_id = ticket.assignee_id
        sent = ticket.updated_at + timedelta(minutes=1)
        ticket.survey_state, ticket.survey_sent_at = "sent", sent
        answer_at = sent + timedelta(minutes=rng.randint(2, 600))
        if rng.random() < 0.55 and answer_at < to_storage(end):
            ticket.satisfaction = _weighted(rng, SURVEY_SCORES)
            ticket.satisfaction_at, ticket.survey_state = answer_at, "answered"
    db.session.flush()


def _change(
    ticket: Ticket, agent: StaffUser, status: str, body: str, kind: str, at: datetime
) -> None:
    """Give the ticket to `agent`, write the note and set the status, logged at `at`."""
    before = {"status": ticket.status, "assignee": None}
    ticket.assignee = agent
    ticket.status = status
    ticket.updated_at = at
    facts: dict[str, Any] = {"status": status, "assignee": agent.email}
    if body:
        note = TicketNote(ticket=ticket, author=agent, kind=kind, body=body, created_at=at)
        db.session.add(note)
        db.session.flush()
        facts |= {"note_id": note.id, "note_length": len(body)}
    action = "ticket.note" if before["status"] == status else "ticket.status"
    entry = audit.record(action, "ticket", ticket.id, before, facts, actor=agent)
    entry.at = at


def _closure_over_booked_callbacks(
    rng: random.Random, end: datetime, key: str, supervisor: StaffUser | None
) -> int:
    """Book a few callbacks for the next opening, then close the centre over them."""
    for n in range(6):
        country = rng.choice(("FR", "ES", "BE", "IT"))
        number = _caller(rng, country)
        language = _language(rng, country)
        path = [
            _step("language", languages.get(language).digit, "welcome"),
            _step("main", "0", "callback_offer"),
            _step("callback_offer", "1", "callback"),
        ]
        callbacks.book(
            number,
            language,
            key,
            priority_at=end,
            country=country,
            call_sid=f"{WEEK_PREFIX}cb{n:024d}",
            ivr_path=path,
        )
    db.session.flush()
    first = db.session.scalar(
        sa.select(sa.func.min(Callback.scheduled_at)).where(Callback.state == "booked")
    )
    if first is None:
        return 0
    starts_at = from_storage(first)
    running.add_closure(
        starts_at,
        starts_at + timedelta(hours=2),
        "closure",
        "Staff training",
        supervisor.email if supervisor else None,
    )
    return running.reschedule_callbacks()
