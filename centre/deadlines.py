"""A bound on every wait for PostgreSQL during a request: a hung server fails fast.

The server's own `statement_timeout` and `lock_timeout` stop slow statements, but a server (or a
proxy in front of it) that stops answering leaves the client waiting for bytes that never come:
the worker hangs until gunicorn kills it, the caller hears nothing and what an agent typed is
lost. During a request, every wait of the connection (a statement, a commit, a rollback) gives
up after a bound, closes the connection (the pool then drops it) and raises. A webhook sets a
short bound (`bound_database_waits`), so the apology can be said within 2 s; any other request
(a staff page, the API) has `STAFF_DB_TIMEOUT_SECONDS`, longer, and answers a page saying the
database is not answering. Commands and jobs outside a request wait as the server decides.
"""

from __future__ import annotations

from collections.abc import Generator
from time import monotonic
from typing import Any

import psycopg
import sqlalchemy as sa
from flask import Flask, has_app_context, has_request_context

from centre.context import this_app, this_g
from centre.extensions import db

# When the server has stopped a statement itself, its answer is on the way: the bound comes
# this much after the server's own timeouts, so a slow statement still fails with its reason.
SERVER_FIRST_SECONDS = 0.25
# psycopg raises this (an OperationalError) when a wait runs out of time.
_WAIT_TIMEOUT: type[Exception] = getattr(psycopg.errors, "_WaitTimeout", psycopg.OperationalError)


def bound_database_waits(seconds: float) -> None:
    """Give up on PostgreSQL after `seconds` without an answer, for the rest of this request."""
    this_g().database_wait_bound = seconds


def _bound() -> float | None:
    if not has_app_context():
        return None
    # Once per wait of the connection (several a statement): `g` itself, not its proxy.
    bound: float | None = this_g().get("database_wait_bound")
    if bound is None and has_request_context():
        # Never before the server's own timeouts: a slow statement fails with its reason.
        config = this_app().config
        server = config["DB_TIMEOUT_SECONDS"] + SERVER_FIRST_SECONDS
        bound = max(float(config["STAFF_DB_TIMEOUT_SECONDS"]), server)
    return bound


def _until(steps: Generator[Any, Any, Any], deadline: float) -> Generator[Any, Any, Any]:
    """Drive psycopg's connection steps, stopping once `deadline` has passed.

    psycopg resumes the steps at least every 0.1 s while it waits, so the check runs often.
    """
    try:
        waiting_for = next(steps)
        while True:
            ready = yield waiting_for
            if monotonic() >= deadline:
                steps.close()
                raise psycopg.errors.ConnectionTimeout("the database did not answer in time")
            waiting_for = steps.send(ready)
    except StopIteration as done:
        return done.value


class BoundedConnection(psycopg.Connection[Any]):
    """A psycopg connection whose waits end when the request's bound runs out."""

    @classmethod
    def _connect_gen(cls, conninfo: str = "") -> Any:
        """Connect as psycopg does, within the request's bound (libpq's own floor is 2 s)."""
        steps = super()._connect_gen(conninfo)
        bound = _bound()
        return steps if bound is None else _until(steps, monotonic() + bound)

    def wait(self, gen: Any, interval: float | None = None, timeout: float | None = None) -> Any:
        """Wait for the server as psycopg does, but no longer than the request's bound."""
        # psycopg's own default interval applies unless a caller names one.
        polling: dict[str, float] = {} if interval is None else {"interval": interval}
        bound = _bound()
        if bound is None or timeout is not None:
            return super().wait(gen, timeout=timeout, **polling)
        try:
            return super().wait(gen, timeout=bound, **polling)
        except _WAIT_TIMEOUT:
            # Half a conversation: the connection cannot be used again. Closed, the pool's
            # disconnect check sees it and throws it away.
            self.pgconn.finish()
            raise psycopg.OperationalError(
                f"the database did not answer within {bound:.2f} s"
            ) from None


def bound_engine(engine: sa.Engine) -> None:
    """Make `engine`'s connections bounded ones, if it is PostgreSQL's (others are left alone)."""
    if engine.dialect.name != "postgresql" or engine.dialect.driver != "psycopg":
        return

    @sa.event.listens_for(engine, "do_connect")
    def _connect_bounded(dialect: Any, record: Any, cargs: Any, cparams: Any) -> Any:
        return BoundedConnection.connect(*cargs, **cparams)


def init_app(app: Flask) -> None:
    """Make the app's PostgreSQL connections bounded ones (other databases are left alone)."""
    with app.app_context():
        bound_engine(db.engine)
