"""One transaction per request: views only flush; the request ends with one commit or rollback.

A view reads the request, calls plain functions that add and flush, and returns its answer.
`end_request` (an `after_request` of the app) then commits what the request wrote, once, if the
answer is not an error, and rolls it back if it is: a refusal page (4xx) or a failure (5xx)
leaves nothing half-done. A request that wrote nothing (most GETs) commits nothing.

A refusal that must leave a trace (the audit entry of a refused access, a failed login's
count) says so with `keep_when_refused()`. Webhooks that end their own transaction (`ivr`)
and CLI commands (one commit per command) are left as they are: a session with nothing
written since its last commit is not touched here.

A webhook on PostgreSQL asks for fewer waits (`reads_outside_transactions`): its reads run
without BEGIN (under READ COMMITTED each statement reads its own snapshot, in a transaction or
not), its first write begins the transaction that the request's one commit ends, and a write
its caller marks `FINAL_WRITE` (one statement that is the request's only write, such as a
call's guarded step) runs on its own, committed by the server as it answers: one wait where
BEGIN, the statement and COMMIT made three. A write after it is refused: it could not be part
of the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from flask import Flask, Response, g, has_app_context
from psycopg.pq import TransactionStatus
from sqlalchemy.engine.interfaces import ExecutionContext
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from centre.context import this_g
from centre.extensions import db, listen_to_sessions

WRITTEN = "request.written"  # in `Session.info`: something was flushed or executed since commit
_KEEP = "keep_when_refused"  # on `g`: commit this request's writes even with an error answer
# The execution option of a statement that its caller promises is the request's only write.
FINAL_WRITE = "final_write"
_MODE = "transactions.mode"  # on `g`: READING until the first write, then FINISHED or gone
_READING = "reading"
_FINISHED = "finished"


class WriteAfterFinalWrite(RuntimeError):
    """A request wrote again after the statement it said was its only write."""


def keep_when_refused() -> None:
    """Commit what this request wrote even though it answers with an error (4xx)."""
    setattr(g, _KEEP, True)


def has_writes(session: Session) -> bool:
    """Return whether `session` holds changes not yet committed (pending or flushed)."""
    return bool(session.new or session.dirty or session.deleted or session.info.get(WRITTEN))


def end_request(response: Response) -> Response:
    """Commit the request's writes once, or roll them back when the answer is an error."""
    session = db.session()
    if not has_writes(session):
        return response
    if response.status_code < 400 or g.get(_KEEP, False):
        session.commit()
    else:
        session.rollback()
    return response


@contextmanager
def reads_outside_transactions() -> Iterator[None]:
    """Within this block, read without BEGIN and let a `FINAL_WRITE` commit itself (PostgreSQL)."""
    request_globals = this_g()
    setattr(request_globals, _MODE, _READING)
    try:
        yield
    finally:
        request_globals.pop(_MODE, None)


def final_write(session: Session) -> dict[str, bool]:
    """Return the execution options of a statement meant as the request's only write.

    It is only when nothing else was written or is waiting to be flushed: otherwise the
    statement joins the request's transaction like any other.
    """
    return {FINAL_WRITE: not has_writes(session)}


def _reads(context: ExecutionContext | None) -> bool:
    """Return whether the statement about to run is a plain SELECT (no lock, no write)."""
    compiled = getattr(context, "compiled", None)
    statement = getattr(compiled, "statement", None)
    return isinstance(statement, sa.Select) and statement._for_update_arg is None


def _before_statement(
    connection: sa.Connection,
    cursor: Any,
    statement: str,
    parameters: Any,
    context: ExecutionContext | None,
    executemany: bool,
) -> None:
    """Run the statement outside a transaction when the request allows it, else begin one."""
    final = context is not None and bool(context.execution_options.get(FINAL_WRITE))
    before_sending(cursor.connection, statement, reads=_reads(context), final=final)


def before_sending(dbapi: Any, statement: str, reads: bool, final: bool) -> None:
    """Apply the request's transaction rules to psycopg connection `dbapi`, about to send `statement`.

    `reads`: a plain SELECT; `final`: a `FINAL_WRITE`. Every statement of a webhook goes through
    this, whether SQLAlchemy sends it (the engine's listener) or `centre.statements` does.
    """
    if not has_app_context():
        return
    request_globals = this_g()  # not its proxy: this runs for every statement
    mode = request_globals.get(_MODE)
    if mode is None:
        return
    if mode == _FINISHED:
        if not reads:
            raise WriteAfterFinalWrite(statement.split(None, 1)[0])
        return
    if dbapi.info.transaction_status != TransactionStatus.IDLE:
        request_globals.pop(_MODE)  # a transaction is already open (begun before the block)
        return
    # psycopg's setter goes through its wait machinery: set it only when it changes.
    if reads:
        if not dbapi.autocommit:
            dbapi.autocommit = True
    elif final:
        if not dbapi.autocommit:
            dbapi.autocommit = True
        setattr(request_globals, _MODE, _FINISHED)
    else:
        if dbapi.autocommit:
            dbapi.autocommit = False  # psycopg sends BEGIN before this statement
        request_globals.pop(_MODE)


def _back_in_transactions(dbapi_connection: Any, record: Any) -> None:
    """Give the pool back a connection that begins transactions, as every other user expects."""
    if getattr(dbapi_connection, "autocommit", False):
        dbapi_connection.autocommit = False


def _flushed(session: Session, flush_context: Any) -> None:
    session.info[WRITTEN] = True


def _executed(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[WRITTEN] = True


def _ended(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the whole transaction, not a savepoint within it
        session.info.pop(WRITTEN, None)


def init_app(app: Flask) -> None:
    """Commit once at the end of every request; note each session's writes as they happen."""
    app.after_request(end_request)
    listen_to_sessions(app, "after_flush", _flushed)
    listen_to_sessions(app, "do_orm_execute", _executed)
    listen_to_sessions(app, "after_transaction_end", _ended)
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "postgresql" and engine.dialect.driver == "psycopg":
        sa.event.listen(engine, "before_cursor_execute", _before_statement)
        sa.event.listen(engine.pool, "checkin", _back_in_transactions)
