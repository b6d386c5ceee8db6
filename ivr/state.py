"""Reading and writing the call's row: the only place call state lives between webhooks.

A webhook reads the row once (`load`), lets the call flow change the `CallState` it got,
and writes it back once (`save`): one UPDATE that moves the call's step on only if no
other request moved it first, with the step's event in the same statement on PostgreSQL.
These are plain statements on the session's connection (same transaction as any ticket the
step opens), not the ORM's unit of work: this runs on every keypress of every call. When
that statement (or a new call's INSERT) is the step's only write, it is a `FINAL_WRITE`:
on PostgreSQL it commits on its own, with no BEGIN or COMMIT around it (centre.transactions).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from functools import cache
from typing import Any

import sqlalchemy as sa
from blinker import Namespace
from flask import current_app, request

from centre import languages, phones, revisions
from centre.clock import now, to_storage
from centre.extensions import db, rows_changed
from centre.statements import Compiled, insert_into
from centre.transactions import FINAL_WRITE, WRITTEN, final_write
from ivr.models import FIRST_STEP, Call, CallerPreference, CallEvent

CALLS = Call.__table__
EVENTS = CallEvent.__table__
PREFERENCES = CallerPreference.__table__

signals = Namespace()
# Sent when a webhook moves a call on with a plain statement (not the ORM's unit of work,
# so no session listener sees it), with the session as sender and the call's `started_at`:
# whoever keeps figures about that call's day (the reports' summaries) learns it changed.
# It is sent just before the statement, so that what a receiver adds to the session is written
# in the step's transaction (and rolled back with it if the call had moved on).
call_step_saved = signals.signal("call-step-saved")


class CallMoved(Exception):
    """Another request moved the call on first: this one is a replay or a duplicate."""


@dataclass(eq=False)
class CallState:
    """A call as one webhook sees it: the row read at the start, changed by the flow."""

    id: int
    call_sid: str
    caller_hash: str | None
    caller_masked: str
    dialled: str
    country: str | None
    language: str | None
    offered: str
    node: str
    step: int
    retries: int
    context: dict[str, Any]
    started_at: datetime
    ended_at: datetime | None = None
    status: str = "in-progress"
    duration: int | None = None
    outcome: str | None = None
    queue_entered_at: datetime | None = None
    queue_left_at: datetime | None = None
    queue_result: str | None = None
    # Written by the desk when an agent takes the caller (`take`), never by the call flow.
    taken_by_id: int | None = None
    taken_at: datetime | None = None
    agent_answered_at: datetime | None = None
    # The row as last read or written, to send only what the step changed.
    stored: dict[str, Any] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        """Remember the row as it is in the database."""
        self.stored = self._values()

    def _values(self) -> dict[str, Any]:
        values = {key: getattr(self, key) for key in CHANGEABLE}
        values["context"] = copy.deepcopy(self.context)  # the flow may change it in place
        return values

    def changes(self) -> dict[str, Any]:
        """Return the columns the step changed, with their new values."""
        return {
            key: getattr(self, key) for key in CHANGEABLE if getattr(self, key) != self.stored[key]
        }


# Every column but the keys and the step counter, which `save` moves itself.
CHANGEABLE = tuple(
    f.name
    for f in fields(CallState)
    if f.name
    not in ("id", "call_sid", "step", "stored", "taken_by_id", "taken_at", "agent_answered_at")
)


@dataclass(frozen=True)
class Event:
    """One step of a call's path: the node it left, what the caller did, the node it reached."""

    from_node: str
    caller_input: str
    to_node: str
    # What the ticket's story tells of this step (see CallEvent.detail); never in the path.
    detail: dict[str, Any] | None = None

    def as_path(self) -> dict[str, str]:
        """Return the event as an agent reads it in the call's path."""
        return {"from": self.from_node, "input": self.caller_input, "to": self.to_node}


def caller_number() -> str | None:
    """Return the caller's number from the webhook, or None when it is hidden or malformed."""
    return phones.normalise(request.form.get("From"))


# The call's row, and in the same statement the token of every revision its step may read (the
# calendar, the notices, the guide: whatever the packages registered with `centre.revisions`),
# so that the workers' caches of them cost no round trip of their own.
@cache
def _select(names: tuple[str, ...]) -> Compiled:
    """Return the SELECT of a call's row by CallSid, with the tokens of revisions `names`."""
    tokens = (revisions.token_of(name).label(f"revision_{name}") for name in names)
    select = sa.select(CALLS, *tokens).where(CALLS.c.call_sid == sa.bindparam("sid"))
    return Compiled(select, reads=True)


def load(call_sid: str) -> CallState | None:
    """Return the call with this CallSid, if any."""
    names = revisions.read_along()
    values = _select(names).first(db.session.connection(), {"sid": call_sid})
    if values is None:
        return None
    revisions.prime({name: values.pop(f"revision_{name}") for name in names})
    return CallState(**values)


def language_order(caller_hash: str | None, country: str | None) -> list[str]:
    """Return the languages in the order offered: last used, the country's, then the rest."""
    remembered = None
    if caller_hash is not None:
        remembered = db.session.connection().scalar(_REMEMBERED, {"hash": caller_hash})
    return _order(remembered, country)


def _order(remembered: str | None, country: str | None) -> list[str]:
    """Return the languages offered to a caller who last chose `remembered`, calling `country`."""
    first: list[str] = []
    if remembered in languages.BY_CODE:
        first.append(remembered)
    usual = languages.COUNTRY_LANGUAGE.get(country or "")
    if usual and usual not in first:
        first.append(usual)
    return first + [code for code in languages.CODES if code not in first]


_REMEMBERED = sa.select(CallerPreference.language).where(
    CallerPreference.caller_hash == sa.bindparam("hash")
)


@cache
def _offered(country: str | None) -> sa.ColumnElement[str]:
    """Return the languages offered, as SQL that reads the caller's remembered language itself."""
    remembered = (
        sa.select(CallerPreference.language)
        .where(CallerPreference.caller_hash == sa.bindparam("remembered_hash"))
        .scalar_subquery()
    )
    orders = {code: " ".join(_order(code, country)) for code in languages.CODES}
    return sa.case(orders, value=remembered, else_=" ".join(_order(None, country)))


def start(call_sid: str) -> CallState:
    """Create the row of a new call, or return the existing one if Twilio sent it twice."""
    caller = phones.describe(request.form.get("From"), current_app.config["PHONE_HASH_KEY"])
    dialled = (request.form.get("To") or "")[:32]
    country = phones.country(dialled)
    values: dict[str, Any] = {
        "call_sid": call_sid,
        "caller_hash": caller.hash,
        "caller_masked": caller.masked,
        "dialled": dialled,
        "country": country,
        "language": None,
        "node": "language",
        "step": FIRST_STEP,
        "retries": 0,
        "context": {"tz": caller.zones} if caller.zones else {},
        "started_at": to_storage(now()),
        "status": "in-progress",
    }
    session = db.session()
    connection = session.connection()
    # The remembered language is read inside the INSERT: a new call is one statement, not two.
    statement = _insert_new_call(connection.dialect.name, country, tuple(values))
    inserted = statement.first(
        connection,
        {**values, "remembered_hash": caller.hash},
        final=final_write(session)[FINAL_WRITE],
    )
    if inserted is None:  # the same CallSid arrived twice: the first request created it
        existing = load(call_sid)
        if existing is None:
            raise CallMoved(call_sid)
        return existing
    return CallState(id=inserted["id"], offered=inserted["offered"], **values)


@cache
def _insert_new_call(dialect: str, country: str | None, columns: tuple[str, ...]) -> Compiled:
    statement = insert_into(dialect, CALLS)
    insert = (
        statement.values(offered=_offered(country))
        .on_conflict_do_nothing(index_elements=["call_sid"])
        .returning(CALLS.c.id, CALLS.c.offered)
    )
    return Compiled(insert, column_keys=columns)


def save(call: CallState, event: Event) -> None:
    """Write what the step changed and move the call's step on, with the step's event.

    Raise `CallMoved` (and write nothing) if another request moved the call on first.
    """
    changes = call.changes()
    moment = to_storage(now())
    params = {
        "call_id": call.id,
        "old_step": call.step,
        **{f"new_{key}": value for key, value in changes.items()},
        "from_node": event.from_node,
        "to_node": event.to_node,
        "caller_input": event.caller_input,
        "detail": event.detail or None,
        "created_at": moment,
    }
    session = db.session()
    call_step_saved.send(session, started_at=call.started_at)
    connection = session.connection()
    # PostgreSQL takes the update and the event in one statement; SQLite, in-process, in two.
    together = connection.dialect.name == "postgresql"
    final = together and final_write(session)[FINAL_WRITE]
    moved = _move(tuple(changes), together).first(connection, params, final=final)
    if moved is None:
        raise CallMoved(call.call_sid)
    if not together:
        connection.execute(_INSERT_EVENT, params)
    # `stored` is left as read: a request saves its call once (a second save would only
    # send again what this one wrote).
    call.step += 1


def end(call: CallState, values: dict[str, Any]) -> None:
    """Record how the call ended in one guarded UPDATE: a retried status callback changes nothing."""
    session = db.session()
    call_step_saved.send(session, started_at=call.started_at)  # the reports' past days
    connection = session.connection()
    _end(tuple(values)).first(
        connection,
        {"call_id": call.id, **{f"new_{key}": value for key, value in values.items()}},
        final=final_write(session)[FINAL_WRITE],
    )


@cache
def _end(columns: tuple[str, ...]) -> Compiled:
    """Return the UPDATE that ends a call not ended yet (no step bump), for these columns."""
    new_values = {key: sa.bindparam(f"new_{key}", type_=CALLS.c[key].type) for key in columns}
    return Compiled(
        sa.update(CALLS)
        .where(CALLS.c.id == sa.bindparam("call_id"), CALLS.c.ended_at.is_(None))
        .values(**new_values)
        .returning(CALLS.c.id)
    )


_INSERT_EVENT = sa.insert(EVENTS).values(
    call_id=sa.bindparam("call_id"),
    step=sa.bindparam("old_step"),
    from_node=sa.bindparam("from_node"),
    to_node=sa.bindparam("to_node"),
    caller_input=sa.bindparam("caller_input"),
    created_at=sa.bindparam("created_at", type_=EVENTS.c.created_at.type),
    detail=sa.bindparam("detail", type_=EVENTS.c.detail.type),
)


@cache
def _move(changed: tuple[str, ...], with_event: bool) -> Compiled:
    """Return the UPDATE that moves a call on (and inserts its event), for these columns."""
    new_values = {key: sa.bindparam(f"new_{key}", type_=CALLS.c[key].type) for key in changed}
    update = (
        sa.update(CALLS)
        .where(CALLS.c.id == sa.bindparam("call_id"), CALLS.c.step == sa.bindparam("old_step"))
        .values(step=CALLS.c.step + 1, **new_values)
        .returning(CALLS.c.id)
    )
    if not with_event:
        return Compiled(update)
    moved = update.cte("moved")
    return Compiled(
        sa.insert(EVENTS)
        .from_select(
            ["call_id", "step", "from_node", "to_node", "caller_input", "created_at", "detail"],
            sa.select(
                moved.c.id,
                sa.bindparam("old_step", type_=sa.Integer),
                sa.bindparam("from_node", type_=sa.String),
                sa.bindparam("to_node", type_=sa.String),
                sa.bindparam("caller_input", type_=sa.String),
                sa.bindparam("created_at", type_=EVENTS.c.created_at.type),
                sa.bindparam("detail", type_=EVENTS.c.detail.type),
            ),
        )
        .returning(EVENTS.c.id)
    )


def remember_language(caller_hash: str | None, language: str) -> None:
    """Remember a caller's language for their next call (keyed by the HMAC of their number)."""
    if caller_hash is None:
        return
    session = db.session()
    connection = session.connection()
    # One upsert, in the step's transaction: not a read, then an INSERT or UPDATE at the flush.
    _remember(connection.dialect.name).first(
        connection,
        {"caller_hash": caller_hash, "language": language, "updated_at": to_storage(now())},
    )
    session.info[WRITTEN] = True  # the step's own write joins this transaction


@cache
def _remember(dialect: str) -> Compiled:
    """Return the upsert of a caller's language for this dialect."""
    statement = insert_into(dialect, PREFERENCES)
    upsert = statement.on_conflict_do_update(
        index_elements=[PREFERENCES.c.caller_hash],
        set_={
            "language": statement.excluded.language,
            "updated_at": statement.excluded.updated_at,
        },
    ).returning(PREFERENCES.c.caller_hash)
    return Compiled(upsert, column_keys=("caller_hash", "language", "updated_at"))


def path(call: CallState) -> list[dict[str, Any]]:
    """Return the call's path as stored so far, for an agent to read."""
    stored = db.session.connection().execute(_PATH, {"call_id": call.id})
    return [Event(*row).as_path() for row in stored]


_PATH = (
    sa.select(EVENTS.c.from_node, EVENTS.c.caller_input, EVENTS.c.to_node)
    .where(EVENTS.c.call_id == sa.bindparam("call_id"))
    .order_by(EVENTS.c.step)
)


def _in_queue() -> sa.ColumnElement[bool]:
    """Return the condition of a call waiting for an agent: entered the queue, not left, not ended."""
    return sa.and_(
        Call.queue_entered_at.is_not(None), Call.queue_left_at.is_(None), Call.ended_at.is_(None)
    )


def queued_count_and_path(language_code: str, call: CallState) -> tuple[int, list[dict[str, Any]]]:
    """Return how many calls wait for an agent in this language, and the call's path, in one read."""
    rows = db.session.execute(_QUEUED_AND_PATH, {"language": language_code, "call_id": call.id})
    count, *stored = rows.all()
    return count.queued or 0, [Event(*row[1:4]).as_path() for row in stored]


def _queued_and_path() -> sa.CompoundSelect[Any]:
    """Return the queue's length (first, at step -1) and the call's events, as one statement."""
    waiting = sa.and_(Call.language == sa.bindparam("language"), _in_queue())
    text = EVENTS.c.to_node.type
    length = sa.select(
        sa.func.count().label("queued"),
        sa.null().cast(text).label("from_node"),
        sa.null().cast(EVENTS.c.caller_input.type).label("caller_input"),
        sa.null().cast(text).label("to_node"),
        sa.literal(-1, EVENTS.c.step.type).label("step"),
    ).where(waiting)
    events = sa.select(
        sa.null().cast(sa.BigInteger),
        EVENTS.c.from_node,
        EVENTS.c.caller_input,
        EVENTS.c.to_node,
        EVENTS.c.step,
    ).where(EVENTS.c.call_id == sa.bindparam("call_id"))
    return sa.union_all(length, events).order_by(sa.literal_column("step"))


_QUEUED_AND_PATH = _queued_and_path()


def _waiting(language_codes: list[str]) -> sa.ColumnElement[bool]:
    return sa.and_(Call.language.in_(language_codes), _in_queue())


def queued(language_codes: list[str]) -> list[Call]:
    """Return the (first 50) calls waiting for an agent in these languages, longest-waiting first."""
    query = (
        sa.select(Call)
        .where(_waiting(language_codes))
        .order_by(Call.queue_entered_at, Call.id)
        .limit(50)
    )
    return list(db.session.scalars(query))


def queued_count(language_codes: list[str]) -> int:
    """Return how many calls wait for an agent in these languages, however many."""
    query = sa.select(sa.func.count()).select_from(Call).where(_waiting(language_codes))
    return db.session.scalar(query) or 0


# How long an agent's phone may ring for a caller they took: until then the caller is theirs and
# they take nobody else; after it, unanswered, the caller waits for anyone again.
RING_SECONDS = 60


def _ringing_since(moment: datetime) -> datetime:
    return to_storage(moment - timedelta(seconds=RING_SECONDS))


def _untaken(moment: datetime) -> sa.ColumnElement[bool]:
    """Return, as SQL, the queued calls no agent has taken (or whose agent's phone rang out)."""
    return sa.or_(
        Call.taken_by_id.is_(None),
        sa.and_(Call.agent_answered_at.is_(None), Call.taken_at < _ringing_since(moment)),
    )


def waiting_for_agent(language_codes: list[str], limit: int = 50) -> list[Call]:
    """Return the queued calls of these languages still waiting to be taken, longest first."""
    query = (
        sa.select(Call)
        .where(_waiting(language_codes), _untaken(now()))
        .order_by(Call.queue_entered_at, Call.id)
        .limit(limit)
    )
    return list(db.session.scalars(query))


def waiting_for_agent_count(language_codes: list[str]) -> int:
    """Return how many queued calls of these languages are still waiting to be taken."""
    query = (
        sa.select(sa.func.count())
        .select_from(Call)
        .where(_waiting(language_codes), _untaken(now()))
    )
    return db.session.scalar(query) or 0


def ringing_for(agent_id: int) -> Call | None:
    """Return the queued caller whose call is ringing on this agent's phone, if any."""
    moment = now()
    query = sa.select(Call).where(
        Call.taken_by_id == agent_id,
        Call.agent_answered_at.is_(None),
        Call.taken_at >= _ringing_since(moment),
        Call.queue_left_at.is_(None),
        Call.ended_at.is_(None),
    )
    return db.session.scalars(query.limit(1)).first()


# A caller the agent answered keeps them busy until the call ends; a call whose end Twilio
# never reported stops counting after this long.
ON_CALL_AT_MOST = timedelta(hours=2)


def on_call_with(agent_id: int) -> Call | None:
    """Return the queued caller the agent answered and is still talking to, if any."""
    moment = now()
    query = sa.select(Call).where(
        Call.taken_by_id == agent_id,
        Call.agent_answered_at.is_not(None),
        Call.agent_answered_at >= to_storage(moment - ON_CALL_AT_MOST),
        Call.ended_at.is_(None),
    )
    return db.session.scalars(query.limit(1)).first()


def take(call_sid: str, agent_id: int) -> bool:
    """Give the queued caller to the agent, if still waiting and untaken; tell whether it was."""
    moment = now()
    result = db.session.execute(
        sa.update(Call)
        .where(
            Call.call_sid == call_sid,
            Call.queue_entered_at.is_not(None),
            Call.queue_left_at.is_(None),
            Call.ended_at.is_(None),
            _untaken(moment),
        )
        .values(taken_by_id=agent_id, taken_at=to_storage(moment), agent_answered_at=None),
        execution_options={"synchronize_session": False},
    )
    return rows_changed(result) > 0


def release_take(call_sid: str, agent_id: int) -> bool:
    """Give back a caller the agent took but did not answer for; tell whether one was."""
    result = db.session.execute(
        sa.update(Call)
        .where(
            Call.call_sid == call_sid,
            Call.taken_by_id == agent_id,
            Call.agent_answered_at.is_(None),
        )
        .values(taken_by_id=None, taken_at=None),
        execution_options={"synchronize_session": False},
    )
    return rows_changed(result) > 0


def agent_answered(call_sid: str, agent_id: int) -> Call | None:
    """Note that the agent answered for their caller; return the call if it still waits for them."""
    call = db.session.scalar(sa.select(Call).where(Call.call_sid == call_sid))
    if call is None or call.taken_by_id != agent_id:
        return None
    if call.queue_left_at is not None or call.ended_at is not None:
        return None
    call.agent_answered_at = to_storage(now())
    return call


def put_through(call_sid: str) -> Call | None:
    """Note that the queued caller left the queue to join the agent who took them."""
    call = db.session.scalar(sa.select(Call).where(Call.call_sid == call_sid))
    if call is None or call.taken_by_id is None or call.ended_at is not None:
        return None
    if call.queue_left_at is None:
        call.queue_left_at = to_storage(now())
        call.queue_result = "bridged"
    return call


def queue_place(call_sid: str) -> tuple[int, int] | None:
    """Return a queued call's position in its language's queue and the seconds it has waited."""
    call = db.session.scalar(sa.select(Call).where(Call.call_sid == call_sid))
    if call is None or call.language is None or call.queue_entered_at is None:
        return None
    if call.queue_left_at is not None or call.ended_at is not None:
        return None
    ahead = sa.or_(
        Call.queue_entered_at < call.queue_entered_at,
        sa.and_(Call.queue_entered_at == call.queue_entered_at, Call.id <= call.id),
    )
    query = sa.select(sa.func.count()).select_from(Call).where(_waiting([call.language]), ahead)
    waited = to_storage(now()) - call.queue_entered_at
    return db.session.scalar(query) or 1, max(0, int(waited.total_seconds()))


def call_started_at(call_sid: str) -> datetime | None:
    """Return when the call began (naive UTC), None for a call with no row."""
    return db.session.scalar(sa.select(Call.started_at).where(Call.call_sid == call_sid))


def seconds_since_start(call_sid: str) -> int | None:
    """Return how long the call has lasted so far, as Twilio's CallDuration counts it."""
    started = call_started_at(call_sid)
    if started is None:
        return None
    return max(0, int((to_storage(now()) - started).total_seconds()))


def with_events(call_sid: str | None) -> tuple[Call | None, list[CallEvent]]:
    """Return the call with this CallSid and its steps in order, for the caller's story."""
    if not call_sid:
        return None, []
    call = db.session.scalar(sa.select(Call).where(Call.call_sid == call_sid))
    if call is None:
        return None, []
    events = db.session.scalars(
        sa.select(CallEvent).where(CallEvent.call_id == call.id).order_by(CallEvent.step)
    )
    return call, list(events)
