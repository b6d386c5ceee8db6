"""Extensions created unbound here and bound to the app in `create_app`."""

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, cast

import sqlalchemy as sa
from flask import Flask
from flask_babel import Babel
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase, Session

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base whose metadata gives Alembic stable constraint names."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)

    if TYPE_CHECKING:
        # Declarative types it as any FROM clause; every model here maps one plain table.
        __table__: ClassVar[sa.Table]


db = SQLAlchemy(model_class=Base)

# The base of every model. `db.Model` is made at run time (a subclass of `Base` that names
# tables and binds the session); a type checker cannot take an attribute as a base class, so
# it reads `Base`, which `db.Model` is.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
migrate = Migrate(render_as_batch=True, compare_type=True)
babel = Babel()
csrf = CSRFProtect()


def rows_changed(result: sa.Result[Any]) -> int:
    """Return how many rows the INSERT, UPDATE or DELETE that gave `result` changed.

    `Session.execute` is typed as returning any `Result`; for these statements it is a
    `CursorResult`, the one that counts rows.
    """
    return cast(sa.CursorResult[Any], result).rowcount


# Where the app lists every session-wide listener its packages registered (see below).
SESSION_LISTENERS = "session.listeners"


def listen_to_sessions(app: Flask, identifier: str, listener: Callable[..., Any]) -> None:
    """Call `listener` on `identifier` events of every session, and list it on the app.

    Packages register these in their `init_app`, never at import, so the app's list
    (`app.extensions["session.listeners"]`) names every listener that runs on every flush,
    commit or statement. SQLAlchemy's listeners are process-wide: one added twice (a second
    app in the same process) is added once.
    """
    if not sa.event.contains(Session, identifier, listener):
        sa.event.listen(Session, identifier, listener)
    listed = app.extensions.setdefault(SESSION_LISTENERS, [])
    if (identifier, listener) not in listed:
        listed.append((identifier, listener))


def init_sqlite(app: Flask) -> None:
    """Make an SQLite database keep a step's writes together, savepoints included.

    Python's sqlite3 driver begins a transaction just before the first INSERT, UPDATE or
    DELETE, but not before a SAVEPOINT: one taken first starts a transaction that its
    RELEASE commits, so a step whose first write was in a savepoint (opening a ticket) kept
    it even when the step then rolled back. Here the first statement that is not a read
    begins the transaction instead, IMMEDIATE so that concurrent writers wait their turn
    (the busy timeout) rather than fail; WAL lets reads go on while one request writes.
    """
    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "sqlite":
        return

    @sa.event.listens_for(engine, "connect")
    def _leave_transactions_to_us(dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA journal_mode=WAL")

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _begin_before_the_first_write(
        connection: sa.Connection, cursor: Any, statement: str, *args: Any
    ) -> None:
        dbapi_connection = cursor.connection
        if not dbapi_connection.in_transaction and statement.lstrip()[:6].upper() not in (
            "SELECT",
            "PRAGMA",
        ):
            dbapi_connection.execute("BEGIN IMMEDIATE")
