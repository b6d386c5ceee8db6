"""Revisions of what every webhook reads and staff rarely change, and the per-worker caches on them.

The calendar and the notices are read by most steps of most calls and changed a few times a
week. Each has a revision: a random token in the `revisions` table, replaced in the same
transaction as any change to its tables (an ORM flush or an ORM statement). A worker keeps
what it read together with the token it read it under (`Cached`, one per app instance) and
reads again only when the token it sees differs. The phone menu reads the tokens in the same
statement as the call's row (`token_columns`, `prime`), so a step asks nothing more of the
database while nothing changed.

A higher package may keep a revision in a table of its own (the guide's `guide_revision`): it
registers the token's scalar subquery from its init_app (`kept_elsewhere`), and the revision is
then read along with the call's row, and by `current`, like the others; the centre never
imports it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Flask, current_app

from centre.extensions import Model, db, listen_to_sessions
from centre.statements import insert_into

T = TypeVar("T")
_MEMO = "revisions"  # in `Session.info`: the tokens this transaction read or wrote
# The models each revision follows (filled by `follow`, from the owners' init_app).
_FOLLOWED: dict[str, tuple[type, ...]] = {}
# Revisions whose token lives in another package's table: the subquery that reads it (filled
# by `kept_elsewhere`, from the owners' init_app).
_ELSEWHERE: dict[str, sa.ScalarSelect[Any]] = {}


class Revision(Model):
    """The current token of one revision: replaced by every change to what it follows."""

    __tablename__ = "revisions"
    name: so.Mapped[str] = so.mapped_column(sa.String(40), primary_key=True)
    token: so.Mapped[str] = so.mapped_column(sa.String(32))


REVISIONS = Revision.__table__


def token_column(name: str) -> sa.ScalarSelect[Any]:
    """Return a scalar subquery of revision `name`'s token, to read along with another row."""
    return (
        sa.select(REVISIONS.c.token)
        .where(REVISIONS.c.name == sa.literal(name, literal_execute=True))
        .scalar_subquery()
    )


def kept_elsewhere(name: str, token: sa.ScalarSelect[Any]) -> None:
    """Register revision `name`, whose token the scalar subquery `token` reads (its owner moves it)."""
    _ELSEWHERE[name] = token


def read_along() -> tuple[str, ...]:
    """Return the name of every revision a webhook may read: those followed and those kept elsewhere."""
    return (*_FOLLOWED, *_ELSEWHERE)


def token_of(name: str) -> sa.ScalarSelect[Any]:
    """Return a scalar subquery of revision `name`'s token, wherever it is kept."""
    return _ELSEWHERE[name] if name in _ELSEWHERE else token_column(name)


def prime(tokens: Mapping[str, str | None]) -> None:
    """Remember the tokens read along with another row, for the rest of this transaction."""
    memo = db.session.info.setdefault(_MEMO, {})
    for name, token in tokens.items():
        memo.setdefault(name, token or "")


def current(name: str) -> str:
    """Return revision `name`'s token as this transaction sees it ("" before any change)."""
    session = db.session()
    if session.autoflush and (session.new or session.dirty or session.deleted):
        session.flush()  # a change not yet flushed must move the token before it is read
    memo = session.info.setdefault(_MEMO, {})
    if name not in memo and name in _ELSEWHERE:
        memo[name] = session.connection().scalar(sa.select(_ELSEWHERE[name])) or ""
    if name not in memo:
        for row_name, row_token in session.connection().execute(sa.select(REVISIONS)):
            memo.setdefault(row_name, row_token)
        memo.setdefault(name, "")
    found: str = memo[name]
    return found


def bump(session: so.Session, name: str) -> None:
    """Replace revision `name`'s token, in the session's transaction."""
    token = uuid.uuid4().hex
    connection = session.connection()
    insert = insert_into(connection.dialect.name, REVISIONS)
    connection.execute(
        insert.values(name=name, token=token).on_conflict_do_update(
            index_elements=["name"], set_={"token": token}
        )
    )
    session.info.setdefault(_MEMO, {})[name] = token


def moved(session: so.Session, name: str, token: str) -> None:
    """Note that revision `name` (kept elsewhere) moved to `token` in the session's transaction."""
    session.info.setdefault(_MEMO, {})[name] = token


def _bump_on_flush(session: so.Session, context: Any, instances: Any) -> None:
    touched = (*session.new, *session.dirty, *session.deleted)
    for name, models in _FOLLOWED.items():
        if any(isinstance(obj, models) for obj in touched):
            bump(session, name)


def _bump_on_statement(state: so.ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    classes = {mapper.class_ for mapper in state.all_mappers}
    for name, models in _FOLLOWED.items():
        if any(issubclass(cls, models) for cls in classes):
            bump(state.session, name)


def _forget_memo(session: so.Session, transaction: so.SessionTransaction) -> None:
    if transaction.parent is None:  # a new transaction sees what others committed since
        session.info.pop(_MEMO, None)


def follow(app: Flask, name: str, models: Iterable[type]) -> None:
    """Make every change to `models` replace revision `name`'s token (listeners on every session)."""
    _FOLLOWED[name] = (*_FOLLOWED.get(name, ()), *models)
    listen_to_sessions(app, "before_flush", _bump_on_flush)
    listen_to_sessions(app, "do_orm_execute", _bump_on_statement)
    listen_to_sessions(app, "after_transaction_end", _forget_memo)


class Cached(Generic[T]):
    """What one worker (app instance) read under a revision, read again when its token moves."""

    def __init__(self, name: str, revision: str, load: Callable[[], T]) -> None:
        """Describe the cache `name` of what `load` reads, following revision `revision`."""
        self.name = name
        self.revision = revision
        self.load = load

    def get(self) -> T:
        """Return what was read under the current token, reading it again if the token moved."""
        token = current(self.revision)  # "" until the first change: still a revision
        caches: dict[str, tuple[str, Any]] = current_app.extensions.setdefault(
            "revisions.cached", {}
        )
        kept = caches.get(self.name)
        if kept is not None and kept[0] == token:
            value: T = kept[1]
            return value
        value = self.load()  # two requests may both read it: the second keeps its own
        caches[self.name] = (token, value)
        return value
