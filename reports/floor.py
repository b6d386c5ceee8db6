"""The live floor: who waits, who answers, where callers are in the menu, and what needs a hand.

Every figure is a small aggregate over indexed rows, read afresh at each refresh of the
wallboard: the calls still going (a partial index holds only those), the queue, the agents,
the callbacks of the next hour and today's own rows. Nothing is counted on the side.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from centre import languages, messaging
from centre.clock import CENTRE_TZ, to_storage
from centre.extensions import db
from ivr.models import Call
from reports import figures, satisfaction
from reports.sql import whole_seconds
from staff.models import AuditEntry, StaffUser
from tickets.models import ACTIVE_STATUSES, Callback, CallbackAttempt, Ticket

# Where a caller can be in the call: the wallboard's columns, in the order a call goes.
STAGES = ("menu", "guide", "case", "queue", "agent")
# A call whose end Twilio never reported is not on the floor any more after this long.
STALE_AFTER = timedelta(hours=4)
# A callback placed this recently without an outcome yet: the agent is on that call.
CALLBACK_CALL = timedelta(minutes=30)
CALLBACKS_AHEAD = timedelta(hours=1)
DESK_ROLES = ("agent", "supervisor", "admin")
# What an agent did to a ticket that counts as handling it.
HANDLING = (
    "ticket.status",
    "ticket.note",
    "ticket.callback_outcome",
    "ticket.take_call",
    "ticket.merge",
    "ticket.callback",
)


def stage_of(node: str) -> str:
    """Return the stage of the menu a call at `node` is in (the queue is told apart elsewhere)."""
    if node.startswith("guide"):
        return "guide"
    if node.startswith("case"):
        return "case"
    return "menu"


@dataclass
class LanguageFloor:
    """One language's line of the wallboard."""

    code: str
    target: int  # seconds a caller should wait at most
    waiting: int = 0
    longest_wait: int | None = None  # seconds, of the caller waiting longest
    with_agent: int = 0
    available: int = 0
    on_call: int = 0
    away: int = 0
    callbacks_due: int = 0
    stages: Counter[str] = field(default_factory=Counter)


@dataclass
class AgentFigures:
    """What one member of the desk did today, and where they are now."""

    id: int
    email: str
    state: str  # available, on_call, away
    languages: list[str]
    tickets_handled: int = 0
    calls_taken: int = 0
    handling_seconds: float | None = None  # average, over the taken calls that have ended
    callbacks_reached: int = 0
    satisfaction: float | None = None  # share of today's survey answers of 4 or 5


@dataclass
class Headline:
    """Today's figures at the top of the wallboard (shares from 0 to 1, None without data)."""

    calls: int
    self_service: float | None
    abandonment: float | None
    within_target: float | None
    satisfaction: float | None = None  # share of today's survey answers of 4 or 5


@dataclass
class Alert:
    """Something the supervisor should act on: its kind, the language, and its figures."""

    kind: str  # wait_over_target, no_agent, sla_breached, outbox_failed
    language: str | None = None
    count: int = 0
    seconds: int = 0
    target: int = 0


@dataclass
class Floor:
    """The whole wallboard at one moment."""

    moment: datetime
    headline: Headline
    languages: list[LanguageFloor]
    stages: Counter[str]
    agents: list[AgentFigures]
    breached_today: int
    alerts: list[Alert]
    outbox: messaging.Backlog | None = None  # what the job queue still has to send


def _seconds(since: datetime | str | None, moment: datetime) -> int | None:
    if since is None:
        return None
    start = datetime.fromisoformat(since) if isinstance(since, str) else since
    return max(int((to_storage(moment) - start).total_seconds()), 0)


def _calls(moment: datetime, lines: dict[str, LanguageFloor]) -> None:
    """Count the calls going on by language and stage; the queue's waits and who is answered."""
    going = sa.and_(Call.ended_at.is_(None), Call.started_at >= to_storage(moment - STALE_AFTER))
    in_queue = sa.and_(Call.queue_entered_at.is_not(None), Call.queue_left_at.is_(None))
    for code, node, count in db.session.execute(
        sa.select(Call.language, Call.node, sa.func.count())
        .where(going, sa.not_(in_queue))
        .group_by(Call.language, Call.node)
    ):
        line = lines.get(code or "")
        if line is not None:
            line.stages[stage_of(node)] += count
        else:  # before the language is chosen: no line of its own yet
            lines[""].stages[stage_of(node)] += count
    # An agent who took a caller from the queue holds that caller's ticket: answered.
    answered = (
        sa.select(Ticket.id)
        .where(
            Ticket.call_sid == Call.call_sid,
            Ticket.type == "escalated_call",
            Ticket.assignee_id.is_not(None),
        )
        .correlate(Call)
        .exists()
    )
    for code, taken, count, first in db.session.execute(
        sa.select(Call.language, answered, sa.func.count(), sa.func.min(Call.queue_entered_at))
        .where(going, in_queue)
        .group_by(Call.language, answered)
    ):
        line = lines.get(code or "") or lines[""]
        if taken:
            line.with_agent += count
            line.stages["agent"] += count
        else:
            line.waiting += count
            line.stages["queue"] += count
            line.longest_wait = _seconds(first, moment)


def _agents(moment: datetime, lines: dict[str, LanguageFloor]) -> list[AgentFigures]:
    """Return the desk's members with their state now, counted into their languages' lines."""
    going = sa.and_(
        Call.ended_at.is_(None),
        Call.started_at >= to_storage(moment - STALE_AFTER),
        Call.queue_entered_at.is_not(None),
        Call.queue_left_at.is_(None),
    )
    on_queued_call = set(
        db.session.scalars(
            sa.select(Ticket.assignee_id)
            .join(Call, Call.call_sid == Ticket.call_sid)
            .where(going, Ticket.type == "escalated_call", Ticket.assignee_id.is_not(None))
        )
    )
    on_callback = set(
        db.session.scalars(
            sa.select(CallbackAttempt.agent_id).where(
                CallbackAttempt.outcome.is_(None),
                CallbackAttempt.requested_at >= to_storage(moment - CALLBACK_CALL),
            )
        )
    )
    agents = []
    for user in db.session.scalars(
        sa.select(StaffUser)
        .where(
            StaffUser.active.is_(True), StaffUser.role.in_(DESK_ROLES), StaffUser.languages != ""
        )
        .order_by(StaffUser.email)
    ):
        if user.id in on_queued_call or user.id in on_callback:
            state = "on_call"
        else:
            state = "available" if user.available else "away"
        codes = [code for code in user.language_codes if code in languages.BY_CODE]
        for code in codes:
            line = lines[code]
            setattr(line, state, getattr(line, state) + 1)
        agents.append(AgentFigures(user.id, user.email, state, codes))
    return agents


def _agents_today(start: datetime, agents: list[AgentFigures]) -> None:
    """Add what each agent did since `start`: tickets handled, calls taken and their length, callbacks reached."""
    by_id = {agent.id: agent for agent in agents}
    since = to_storage(start)
    for actor, count in db.session.execute(
        sa.select(AuditEntry.actor_id, sa.func.count(sa.distinct(AuditEntry.target_id)))
        .where(
            AuditEntry.at >= since,
            AuditEntry.action.in_(HANDLING),
            AuditEntry.target_type == "ticket",
        )
        .group_by(AuditEntry.actor_id)
    ):
        if actor in by_id:
            by_id[actor].tickets_handled = count
    # The calls taken today, then when each caller's call ended: two index lookups, since a
    # join lets the planner scan every ticket of the year.
    taken = db.session.execute(
        sa.select(AuditEntry.actor_id, AuditEntry.at, AuditEntry.target_id).where(
            AuditEntry.at >= since, AuditEntry.action == "ticket.take_call"
        )
    ).all()
    call_end = (
        sa.select(Call.ended_at)
        .where(Call.call_sid == Ticket.call_sid)
        .correlate(Ticket)
        .scalar_subquery()
    )
    ended = (
        {
            ident: end
            for ident, end in db.session.execute(
                sa.select(Ticket.id, call_end).where(
                    Ticket.id.in_({row.target_id for row in taken})
                )
            )
            if end is not None
        }
        if taken
        else {}
    )
    lengths: dict[int, list[float]] = {}
    for actor, at, ticket_id in taken:
        if actor not in by_id:
            continue
        by_id[actor].calls_taken += 1
        if ticket_id in ended:
            seconds = max((ended[ticket_id] - at).total_seconds(), 0.0)
            lengths.setdefault(actor, []).append(seconds)
    for actor, handled in lengths.items():
        by_id[actor].handling_seconds = sum(handled) / len(handled)
    for agent_id, count in db.session.execute(
        sa.select(CallbackAttempt.agent_id, sa.func.count())
        .where(CallbackAttempt.outcome == "reached", CallbackAttempt.outcome_at >= since)
        .group_by(CallbackAttempt.agent_id)
    ):
        if agent_id in by_id:
            by_id[agent_id].callbacks_reached = count
    for resolver, answers in satisfaction.by_agent(start, start + timedelta(days=1)).items():
        if resolver in by_id:
            by_id[resolver].satisfaction = answers.share


def _callbacks_due(moment: datetime, lines: dict[str, LanguageFloor]) -> None:
    """Count the callbacks booked for the next hour, by the caller's language."""
    for code, count in db.session.execute(
        sa.select(Ticket.language, sa.func.count())
        .join(Callback, Callback.ticket_id == Ticket.id)
        .where(
            Callback.state == "booked",
            Callback.scheduled_at >= to_storage(moment),
            Callback.scheduled_at < to_storage(moment + CALLBACKS_AHEAD),
        )
        .group_by(Ticket.language)
    ):
        if code in lines:
            lines[code].callbacks_due = count


def breached_today(start: datetime, moment: datetime) -> int:
    """Count the tickets still to handle whose deadline passed today."""
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Ticket)
            .where(
                Ticket.status.in_(ACTIVE_STATUSES),
                Ticket.merged_into_id.is_(None),
                Ticket.due_at >= to_storage(start),
                Ticket.due_at < to_storage(moment),
            )
        )
        or 0
    )


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _answered_within(moment: datetime, targets: dict[str, int]) -> tuple[int, int]:
    """Return today's callers answered within their language's target, and all who queued."""
    start = figures.day_start(moment.astimezone(CENTRE_TZ).date())
    wait = whole_seconds(Call.queue_entered_at, Call.queue_left_at)
    within = sa.case(
        *((Call.language == code, wait <= seconds) for code, seconds in targets.items()),
        else_=sa.false(),
    )
    row = db.session.execute(
        sa.select(
            sa.func.count(),
            sa.func.sum(sa.case((sa.and_(Call.queue_result == "bridged", within), 1), else_=0)),
        ).where(Call.started_at >= start, Call.queue_entered_at.is_not(None))
    ).one()
    return int(row[1] or 0), int(row[0] or 0)


def snapshot(moment: datetime) -> Floor:
    """Read the whole floor as it stands at `moment`."""
    targets: dict[str, int] = current_app.config["QUEUE_WAIT_TARGETS"]
    lines = {code: LanguageFloor(code, targets[code]) for code in languages.CODES}
    lines[""] = LanguageFloor("", 0)  # calls that have not chosen a language yet
    _calls(moment, lines)
    agents = _agents(moment, lines)
    _callbacks_due(moment, lines)
    start = figures.day_start(moment.astimezone(CENTRE_TZ).date())
    _agents_today(start, agents)
    top = headline(moment, targets)
    breached = breached_today(start, moment)
    stages: Counter[str] = Counter()
    for line in lines.values():
        stages.update(line.stages)
    shown = [lines[code] for code in languages.CODES]
    outbox = messaging.backlog(start)
    found = alerts(shown, breached)
    if outbox.failed_today:
        found.append(Alert("outbox_failed", count=outbox.failed_today))
    return Floor(moment, top, shown, stages, agents, breached, found, outbox)


def headline(moment: datetime, targets: dict[str, int]) -> Headline:
    """Return today's calls, self-service, abandonment and the share answered within target."""
    today = moment.astimezone(CENTRE_TZ).date()
    days = figures.collect(today, today, moment)
    board = figures.assemble(figures.Period(today, today), days.days)
    calls = sum(board.outcomes.values())
    ended = calls - days.unended[today]
    within, queued = _answered_within(moment, targets)
    start = figures.day_start(today)
    return Headline(
        calls=calls,
        self_service=_share(board.outcomes["self_service"], ended),
        abandonment=_share(board.outcomes["abandoned"], queued),
        within_target=_share(within, queued),
        satisfaction=satisfaction.overall(start, start + timedelta(days=1)).share,
    )


def alerts(lines: list[LanguageFloor], breached: int) -> list[Alert]:
    """Return what needs the supervisor now: long waits, languages nobody answers, SLA breaches."""
    found = []
    for line in lines:
        if line.waiting and line.longest_wait is not None and line.longest_wait > line.target:
            found.append(
                Alert("wait_over_target", line.code, line.waiting, line.longest_wait, line.target)
            )
        if line.waiting and not line.available:
            found.append(Alert("no_agent", line.code, line.waiting))
    if breached:
        found.append(Alert("sla_breached", count=breached))
    return found
