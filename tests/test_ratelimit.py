"""Shared counters hold across app instances, in Redis and in the database."""

from __future__ import annotations

from datetime import timedelta

import pytest

from centre import ratelimit
from centre.extensions import db


@pytest.fixture(params=["database", "redis"])
def instances(request, make_app, app):  # type: ignore[no-untyped-def]
    """Return two app instances sharing one store."""
    if request.param == "redis":
        config = request.getfixturevalue("redis_config")
    else:
        config = {"REDIS_URL": ""}
    return make_app(**config), make_app(**config)


def test_events_counted_on_one_worker_are_seen_by_another(instances, time_machine):
    first, second = instances
    time_machine.move_to("2026-12-01T09:00:00+00:00", tick=False)
    for _ in range(3):
        with first.app_context():
            ratelimit.record("lookup-fail:abc", keep=timedelta(hours=24))
            db.session.commit()
    with second.app_context():
        assert ratelimit.count("lookup-fail:abc", window=timedelta(hours=24)) == 3
        assert ratelimit.count("lookup-fail:other", window=timedelta(hours=24)) == 0


def test_a_window_ends_fifteen_minutes_after_its_first_event_and_clearing_forgets_it(
    instances, time_machine
):
    first, second = instances
    window = timedelta(minutes=15)
    for moment in ("2026-12-01T09:00:00+00:00", "2026-12-01T09:10:00+00:00"):
        time_machine.move_to(moment, tick=False)
        with first.app_context():
            ratelimit.record("login:a@example.org", keep=window)
            db.session.commit()
    time_machine.move_to("2026-12-01T09:14:59+00:00", tick=False)
    with second.app_context():
        assert ratelimit.count("login:a@example.org", window=window) == 2
    time_machine.move_to("2026-12-01T09:15:00+00:00", tick=False)
    with second.app_context():
        assert ratelimit.count("login:a@example.org", window=window) == 0
        assert ratelimit.hit("login:a@example.org", window=window) == 1  # a new window
        db.session.commit()
        ratelimit.clear("login:a@example.org")
        db.session.commit()
        assert ratelimit.count("login:a@example.org", window=window) == 0


def test_a_place_given_back_more_often_than_taken_banks_no_extra_attempts(instances, time_machine):
    # A lookup that finds the caller's case gives its place back. Were a counter allowed
    # below zero, places given back twice would grant tries beyond the limit in that window.
    first, second = instances
    window = timedelta(hours=24)
    time_machine.move_to("2026-12-01T09:00:00+00:00", tick=False)
    with first.app_context():
        assert ratelimit.hit("lookup-fail:abc", window=window) == 1
        assert ratelimit.hit("lookup-fail:other", window=window) == 1
        db.session.commit()
        ratelimit.release("lookup-fail:abc")
        db.session.commit()
        assert ratelimit.count("lookup-fail:abc", window=window) == 0
        ratelimit.release("lookup-fail:abc")
        ratelimit.release("lookup-fail:abc")
        db.session.commit()
    with second.app_context():
        assert ratelimit.count("lookup-fail:abc", window=window) == 0
        assert [ratelimit.hit("lookup-fail:abc", window=window) for _ in range(3)] == [1, 2, 3]
        db.session.commit()
        # Giving back one number's place leaves another's count alone.
        assert ratelimit.count("lookup-fail:other", window=window) == 1
