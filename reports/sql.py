"""Two SQL expressions the reports need, written once for SQLite and once for PostgreSQL."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.expression import ColumnElement, FunctionElement


class hour_bucket(FunctionElement[Any]):  # noqa: N801 (used like a SQL function)
    """The UTC hour a naive-UTC timestamp falls in (a datetime, or its ISO text on SQLite)."""

    inherit_cache = True


@compiles(hour_bucket)
def _hour_bucket_default(element: hour_bucket, compiler: Any, **kw: Any) -> str:
    (column,) = list(element.clauses)
    return f"date_trunc('hour', {compiler.process(column, **kw)})"


@compiles(hour_bucket, "sqlite")
def _hour_bucket_sqlite(element: hour_bucket, compiler: Any, **kw: Any) -> str:
    (column,) = list(element.clauses)
    return f"strftime('%Y-%m-%d %H:00:00', {compiler.process(column, **kw)})"


class whole_seconds(FunctionElement[Any]):  # noqa: N801 (used like a SQL function)
    """The whole seconds (rounded down) from the first timestamp to the second."""

    type = sa.Integer()
    inherit_cache = True


@compiles(whole_seconds)
def _whole_seconds_default(element: whole_seconds, compiler: Any, **kw: Any) -> str:
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(floor(extract(epoch FROM ({end} - {start}))) AS INTEGER)"


@compiles(whole_seconds, "sqlite")
def _whole_seconds_sqlite(element: whole_seconds, compiler: Any, **kw: Any) -> str:
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    # julianday() is a double: round away its last bits before dropping the fraction.
    return f"CAST(round((julianday({end}) - julianday({start})) * 86400.0, 3) AS INTEGER)"


def between(
    column: ColumnElement[Any] | QueryableAttribute[Any], start: Any, end: Any
) -> ColumnElement[bool]:
    """Return `start <= column < end`."""
    return sa.and_(column >= start, column < end)
