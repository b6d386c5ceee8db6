"""One transaction per request: views only flush; the request ends with one commit or rollback.

A view reads the request, calls plain functions that add and flush, and returns its answer.
`end_request` (an `after_request` of the app) then commits what the request wrote, once, if the
answer is not an error, and rolls it back if it is: a refusal page (4xx) or a failure (5xx)
leaves nothing half-done. A request that wrote nothing (most GETs) commits nothing.

A refusal that must leave a trace (the audit entry of a refused access, a failed login's
count) says so with `keep_when_refused()`. Webhooks that end their own transaction (`ivr`)
and CLI commands (one commit per command) are left as they are: a session with nothing
written since its last commit is not touched here.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, g
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from centre.extensions import db, listen_to_sessions

WRITTEN = "request.written"  # in `Session.info`: something was flushed or executed since commit
_KEEP = "keep_when_refused"  # on `g`: commit this request's writes even with an error answer


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
