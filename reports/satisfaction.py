"""Satisfaction: the survey answers of a period (1 to 5), overall, by language, type and agent.

Counted by when the answer came (`Ticket.satisfaction_at`, indexed), straight from the tickets:
a day's answers may come days after the ticket was resolved, so they are not kept in the
day summaries. "Satisfied" means an answer of 4 or 5, the usual reading of such a scale.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from centre.clock import to_storage
from centre.extensions import db
from staff.models import StaffUser
from tickets.models import Ticket

SATISFIED = 4  # an answer of this or more is counted as satisfied


@dataclass
class Satisfaction:
    """The answers of a group: how many, their sum, and how many were satisfied."""

    answers: int = 0
    total: int = 0
    satisfied: int = 0

    @property
    def average(self) -> float | None:
        """Return the mean answer (1 to 5), None without answers."""
        return self.total / self.answers if self.answers else None

    @property
    def share(self) -> float | None:
        """Return the share of answers of 4 or 5 (0 to 1), None without answers."""
        return self.satisfied / self.answers if self.answers else None


def _figures(key: Any, start: datetime, end: datetime) -> dict[Any, Satisfaction]:
    columns: Sequence[Any] = () if key is None else (key,)
    query = sa.select(
        *columns,
        sa.func.count(),
        sa.func.sum(Ticket.satisfaction),
        sa.func.sum(sa.case((Ticket.satisfaction >= SATISFIED, 1), else_=0)),
    ).where(
        Ticket.satisfaction.is_not(None),
        Ticket.satisfaction_at >= to_storage(start),
        Ticket.satisfaction_at < to_storage(end),
    )
    if key is not None:
        query = query.group_by(key)
    found = {}
    for row in db.session.execute(query):
        *group, answers, total, satisfied = row
        if answers:
            found[group[0] if group else None] = Satisfaction(
                int(answers), int(total or 0), int(satisfied or 0)
            )
    return found


def overall(start: datetime, end: datetime) -> Satisfaction:
    """Return every answer that came between `start` and `end`."""
    return _figures(None, start, end).get(None, Satisfaction())


def by_language(start: datetime, end: datetime) -> dict[str, Satisfaction]:
    """Return the answers by the caller's language."""
    return _figures(Ticket.language, start, end)


def by_type(start: datetime, end: datetime) -> dict[str, Satisfaction]:
    """Return the answers by the ticket's type."""
    return _figures(Ticket.type, start, end)


def by_agent(start: datetime, end: datetime) -> dict[int | None, Satisfaction]:
    """Return the answers by the agent who resolved the ticket (None: nobody recorded)."""
    return _figures(Ticket.resolved_by_id, start, end)


def agent_emails(ids: Sequence[int]) -> dict[int, str]:
    """Return the email of each staff member in `ids`."""
    if not ids:
        return {}
    rows = db.session.execute(sa.select(StaffUser.id, StaffUser.email).where(StaffUser.id.in_(ids)))
    return {ident: email for ident, email in rows}
