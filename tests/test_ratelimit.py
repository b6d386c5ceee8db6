"""Shared counters hold across app instances, in Redis and in the database."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from conftest import TEST_REDIS_URL

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


def redis_behind_a_proxy():  # type: ignore[no-untyped-def]
    """Return a freezing TCP proxy in front of the tests' Redis, and the URL that goes through it."""
    from test_hung_database import FreezingProxy

    redis_url = urlsplit(TEST_REDIS_URL)
    proxy = FreezingProxy(redis_url.hostname or "127.0.0.1", redis_url.port or 6379)
    return proxy, redis_url._replace(netloc=f"127.0.0.1:{proxy.port}").geturl()


def test_once_redis_answers_again_the_counts_go_back_to_it(
    make_app, app, redis_config, caplog, time_machine
):
    # One worker lost Redis for a moment and counted in the database; the others went on in
    # Redis. Left alone for REDIS_RETRY_SECONDS (here none), it counts with them again.
    proxy, proxied = redis_behind_a_proxy()
    caplog.set_level(logging.INFO, logger="centre.ratelimit")
    lost = make_app(
        REDIS_URL=proxied,
        REDIS_PREFIX=redis_config["REDIS_PREFIX"],
        REDIS_TIMEOUT_SECONDS=0.5,
        REDIS_RETRY_SECONDS=0,
    )
    other = make_app(**redis_config)
    window = timedelta(minutes=15)
    time_machine.move_to("2026-12-01T09:00:00+00:00", tick=False)
    try:
        proxy.frozen.set()
        with lost.app_context():
            assert ratelimit.hit("login:address:203.0.113.7", window=window) == 1
            db.session.commit()
        with other.app_context():
            assert ratelimit.count("login:address:203.0.113.7", window=window) == 0
        proxy.frozen.clear()
        with lost.app_context():
            assert ratelimit.hit("login:address:203.0.113.7", window=window) == 1
            db.session.commit()
        with other.app_context():
            assert ratelimit.count("login:address:203.0.113.7", window=window) == 1
    finally:
        lost.extensions["ratelimit_redis"].backend.client.close()  # its link to the proxy
        proxy.close()
    said = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "centre.ratelimit"]
    assert said == [
        (
            "WARNING",
            "Redis cannot be reached (TimeoutError): the limits count in the database until it"
            " answers again",
        ),
        ("INFO", "Redis answers again: the limits count in Redis"),
    ]


def test_a_redis_slower_than_the_default_but_within_its_configured_timeout_keeps_counting(
    make_app, app, redis_config, caplog, time_machine
):
    # Redis far away (another site): REDIS_TIMEOUT_SECONDS set to 10 s, and a hit answered
    # after about 2 s, four times the default half second, still counts in Redis.
    proxy, proxied = redis_behind_a_proxy()
    caplog.set_level(logging.WARNING, logger="centre.ratelimit")
    far = make_app(
        REDIS_URL=proxied, REDIS_PREFIX=redis_config["REDIS_PREFIX"], REDIS_TIMEOUT_SECONDS=10
    )
    other = make_app(**redis_config)
    window = timedelta(minutes=15)
    time_machine.move_to("2026-12-01T09:00:00+00:00", tick=False)
    try:
        with far.app_context():
            assert ratelimit.hit("login:address:203.0.113.8", window=window) == 1
            proxy.frozen.set()  # the connection is made: its bytes now wait in the proxy
            threading.Timer(2.0, proxy.frozen.clear).start()
            assert ratelimit.hit("login:address:203.0.113.8", window=window) == 2
            db.session.commit()
        with other.app_context():
            assert ratelimit.count("login:address:203.0.113.8", window=window) == 2
    finally:
        far.extensions["ratelimit_redis"].backend.client.close()  # its link to the proxy
        proxy.close()
    assert not [r for r in caplog.records if r.name == "centre.ratelimit"]
