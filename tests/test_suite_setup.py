"""The suite's own machinery: a moved clock, and setup that a busy database does not break."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from conftest import reset_database, session_clock_start

from centre.clock import CENTRE_TZ
from centre.extensions import db
from tickets import services
from tickets.models import Ticket


def test_the_moved_clock_is_read_as_moroccan_time_unless_it_gives_an_offset(monkeypatch):
    monkeypatch.setenv("TEST_CLOCK_AT", "2026-12-31T23:59")
    assert session_clock_start() == datetime(2026, 12, 31, 23, 59, tzinfo=CENTRE_TZ)
    assert session_clock_start() == datetime(2026, 12, 31, 23, 59, tzinfo=UTC)  # UTC+0 since 2026c
    monkeypatch.setenv("TEST_CLOCK_AT", "2027-12-04T18:00+00:00")
    assert session_clock_start() == datetime(2027, 12, 4, 18, 0, tzinfo=UTC)
    monkeypatch.delenv("TEST_CLOCK_AT")
    assert session_clock_start() is None


def test_emptying_the_database_waits_for_a_lock_longer_than_the_apps_timeout(app, database_url):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("statement and lock timeouts are PostgreSQL's (SQLite waits for its file)")
        services.open_ticket("complaint", "fr", "+33612345678", "k")
        db.session.commit()
        held_for = app.config["DB_TIMEOUT_SECONDS"] * 2  # what a slow test leaves behind
        engine = sa.create_engine(database_url)
        holder = engine.connect()
        holder.execute(sa.text(f"LOCK TABLE {Ticket.__tablename__} IN ACCESS SHARE MODE"))
        release = threading.Timer(held_for, holder.rollback)
        release.start()
        try:
            reset_database()
        finally:
            release.join()
            holder.close()
            engine.dispose()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 0


def test_the_run_happens_at_the_instant_test_clock_at_names():
    start = session_clock_start()
    if start is None:
        pytest.skip("TEST_CLOCK_AT is not set: this run uses the real clock")
    assert start <= datetime.now(UTC) < start + timedelta(hours=6)  # it ticks from there
