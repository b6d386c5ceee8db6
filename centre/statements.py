"""The few statements every webhook runs, compiled once and handed to psycopg as they are.

A call's step runs two statements (its row read; its row written with its event) and a new call
one. Through SQLAlchemy's Core each cost about four times what psycopg itself does (the
execution context, the parameters, the cursor's description and the result's rows: about
0.2 ms of a step's 2.8 ms of CPU each, bench/README.md). A `Compiled` statement is still written
with Core; on PostgreSQL with psycopg it is compiled once per dialect and sent on the session's
own connection, in the request's transaction and under its rules (`centre.transactions`), with
SQLAlchemy's own parameter processing and its errors. Elsewhere (SQLite) it runs through Core.

The engine's `before_cursor_execute` listeners do not see these statements: whoever counts what
a request sends counts at psycopg (its cursors' `execute`), as `bench/profile_step.py` does.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import psycopg
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine.interfaces import Dialect

from centre.transactions import FINAL_WRITE, before_sending

# What a `Compiled` may hold: a Core statement that returns rows.
Statement = sa.Select[Any] | sa.Insert | sa.Update


def insert_into(dialect: str, table: sa.Table) -> postgresql.Insert | sqlite.Insert:
    """Return an INSERT into `table` in `dialect`'s own form, which has ON CONFLICT."""
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise KeyError(dialect)


class _Sent:
    """A statement as compiled for one dialect: its SQL, how to fill its parameters, its columns."""

    def __init__(self, statement: Statement, dialect: Dialect, column_keys: Sequence[str]):
        # Typed as any Compiled; for these statements it is an SQLCompiler.
        compiled: Any = statement.compile(dialect=dialect, column_keys=list(column_keys) or None)
        if compiled.insert_prefetch or compiled.update_prefetch:
            raise ValueError("a statement with Python-side defaults runs through Core")
        self.compiled = compiled
        # Values given at construction (the revisions' names) are put into the SQL once.
        required = {key: None for key, bind in compiled.binds.items() if bind.required}
        self.sql: str = compiled.construct_expanded_state(required, escape_names=False).statement
        self.processors: list[tuple[str, Callable[[Any], Any]]] = [
            (key, processor)
            for key, processor in compiled._bind_processors.items()
            if callable(processor)
        ]
        self.keys: list[str] | None = None  # the result's column names, from the first answer

    def parameters(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Return every parameter of the statement, as the driver takes them."""
        parameters: dict[str, Any] = self.compiled.construct_params(values, escape_names=False)
        for key, processor in self.processors:
            if key in parameters:
                parameters[key] = processor(parameters[key])
        return parameters


class Compiled:
    """A Core statement that a webhook runs often: on psycopg, sent without Core's execution."""

    def __init__(
        self, statement: Statement, reads: bool = False, column_keys: Sequence[str] = ()
    ) -> None:
        """Describe `statement` (`reads`: a plain SELECT); an INSERT names the columns it gives."""
        self.statement = statement
        self.reads = reads
        self.column_keys = tuple(column_keys)
        self._sent: weakref.WeakKeyDictionary[Dialect, _Sent] = weakref.WeakKeyDictionary()

    def first(
        self, connection: sa.Connection, values: Mapping[str, Any], final: bool = False
    ) -> dict[str, Any] | None:
        """Run the statement on `connection` (a session's); return its first row, by column name.

        `final`: the request's only write (a `FINAL_WRITE`, see `centre.transactions`).
        """
        dialect = connection.dialect
        if dialect.name != "postgresql" or dialect.driver != "psycopg":
            options = {FINAL_WRITE: final} if final else {}
            row = connection.execute(self.statement, values, execution_options=options).first()
            return None if row is None else row._asdict()
        sent = self._sent.get(dialect)
        if sent is None:
            sent = self._sent[dialect] = _Sent(self.statement, dialect, self.column_keys)
        parameters = sent.parameters(values)
        driver: Any = connection.connection.driver_connection  # a psycopg.Connection
        try:
            before_sending(driver, sent.sql, reads=self.reads, final=final)
            cursor = driver.cursor()
            try:
                cursor.execute(sent.sql, parameters)
                row = cursor.fetchone()
                if sent.keys is None and cursor.description is not None:
                    sent.keys = [column.name for column in cursor.description]
            finally:
                cursor.close()
        except psycopg.Error as error:
            if dialect.is_disconnect(error, driver, None):  # type: ignore[arg-type]  # psycopg's is the DBAPI's
                connection.invalidate(error)
            raise sa.exc.DBAPIError.instance(
                sent.sql, None, error, psycopg.Error, hide_parameters=True, dialect=dialect
            ) from error
        if row is None or sent.keys is None:
            return None
        return dict(zip(sent.keys, row, strict=True))
