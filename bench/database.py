"""What the benchmarks that rebuild a PostgreSQL database share: the database they are given,
the guarded reset, bulk generation in SQL, and percentiles as they print them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade

from centre import calendar
from centre.extensions import db

URL_VARIABLE = "BENCH_DATABASE_URL"


def database_url() -> str:
    """Return BENCH_DATABASE_URL, or stop: these benchmarks need a PostgreSQL database."""
    url = os.environ.get(URL_VARIABLE, "")
    if not url.startswith("postgresql"):
        sys.exit(f"set {URL_VARIABLE} to a PostgreSQL database whose schema may be dropped")
    return url


def add_database_argument(parser: argparse.ArgumentParser, default: str | None = None) -> None:
    """Add --database-url: `default`, else BENCH_DATABASE_URL (without either, it is required)."""
    parser.add_argument(
        "--database-url",
        default=default or os.environ.get(URL_VARIABLE),
        required=default is None and URL_VARIABLE not in os.environ,
        help="PostgreSQL database; its name must contain 'bench' (dropped and created afresh)",
    )


def reset_schema(app: Flask) -> None:
    """Drop and recreate the schema of the app's database, then migrate it.

    Only a PostgreSQL database whose name contains "bench": never real data by mistake.
    """
    with app.app_context():
        url = db.engine.url
        if url.get_backend_name() != "postgresql" or "bench" not in (url.database or ""):
            raise SystemExit(
                f"refusing {url.render_as_string()}: a PostgreSQL 'bench' database only"
            )
        with db.engine.begin() as connection:
            connection.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()


def generate(app: Flask, statements: Sequence[str], parameters: Mapping[str, Any]) -> float:
    """Rebuild the schema with the calendar, run the bulk INSERTs, analyse; return the seconds taken.

    The seconds count the INSERTs and the VACUUM ANALYZE, not the schema's migrations.
    """
    reset_schema(app)
    with app.app_context():
        calendar.seed_hours()
        calendar.seed_holidays([2025, 2026, 2027])
        db.session.commit()
        started = time.perf_counter()
        with db.engine.begin() as connection:
            connection.execute(sa.text("SET statement_timeout = 0"))
            for statement in statements:
                connection.execute(sa.text(statement), dict(parameters))
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text("SET statement_timeout = 0"))
            connection.execute(sa.text("VACUUM ANALYZE"))
        return time.perf_counter() - started


def percentile(values: Sequence[float], share: float) -> float:
    """Return the value below which `share` of the values fall (0 when there are none)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def spread(values: Sequence[float], digits: int = 1) -> str:
    """Return "p50 … ms   p99 … ms   max … ms" for times in milliseconds."""
    if not values:
        return "no values"
    return "   ".join(
        f"{label} {value:.{digits}f} ms"
        for label, value in (
            ("p50", statistics.median(values)),
            ("p99", percentile(values, 0.99)),
            ("max", max(values)),
        )
    )
