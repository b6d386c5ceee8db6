"""What the benchmarks that rebuild a PostgreSQL database share: the guarded reset, percentiles."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade

from centre.extensions import db


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


def percentile(values: Sequence[float], share: float) -> float:
    """Return the value below which `share` of the values fall (0 when there are none)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]
