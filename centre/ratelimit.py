"""Counters shared by every worker: Redis when `REDIS_URL` is set, else the database.

Used for limits that must hold across machines (failed case lookups per number, login
attempts per account and per address). Never process memory.

A limit is checked and counted in one atomic step: `hit` counts the attempt and returns
the count including it, so of twenty simultaneous attempts against a limit of five exactly
five see a count of five or less, whichever worker they reach. An attempt that turns out
well can give its place back (`release`), or wipe the slate (`clear`).

    if ratelimit.hit("lookup-fail:" + caller_hash, window=timedelta(hours=24)) > 6: refuse
    ...
    if found: ratelimit.release("lookup-fail:" + caller_hash)

Each counter counts over a fixed window that starts with its first hit (a new window starts
with the first hit after the old one ended). When Redis cannot be reached (down, or not
answering within `REDIS_TIMEOUT_SECONDS`), the database counts instead: a warning is
logged when Redis is lost, Redis is left alone for `REDIS_RETRY_SECONDS`, then tried again.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar, cast

import redis
import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app
from redis.backoff import NoBackoff
from redis.retry import Retry
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.pool import NullPool

from centre import deadlines
from centre.clock import now, to_storage
from centre.extensions import Model, db

KEY_MAX = 200
log = logging.getLogger(__name__)
T = TypeVar("T")


class RateCounter(Model):
    """One counter of the database backend: its hits since the window started."""

    __tablename__ = "rate_counters"
    key: so.Mapped[str] = so.mapped_column(sa.String(KEY_MAX), primary_key=True)
    started_at: so.Mapped[datetime]
    hits: so.Mapped[int]


class Backend(Protocol):
    """Where the counters are kept."""

    def hit(self, key: str, at: datetime, window: timedelta) -> int:
        """Count one hit of `key` at `at`; return the hits of its window, this one included."""

    def count(self, key: str, at: datetime, window: timedelta) -> int:
        """Return the hits of `key`'s window still open at `at` (0 if it has ended)."""

    def release(self, key: str) -> None:
        """Take one hit back from `key` (an attempt that turned out well)."""

    def clear(self, key: str) -> None:
        """Forget `key`."""


def _counting_engine() -> sa.Engine:
    """Return the app's engine for counters: the database's, without a pool to wait on.

    A request holds a connection of the shared pool while it counts: were the count to take
    a second one from that pool, a burst of requests could each hold one and wait for another.
    """
    engine = current_app.extensions.get("ratelimit_engine")
    if engine is None:
        options = {
            name: value
            for name, value in current_app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}).items()
            if not name.startswith("pool") and name != "max_overflow"
        }
        engine = sa.create_engine(db.engine.url, poolclass=NullPool, **options)
        # Its waits end with the request's bound too: a webhook that counts still apologises
        # in time when the database hangs (libpq alone waits 2 s for a connection).
        deadlines.bound_engine(engine)
        current_app.extensions["ratelimit_engine"] = engine
    return engine


@contextmanager
def _counting_connection() -> Iterator[sa.Connection]:
    """Yield where a counter is written, committed at once where the database allows it.

    PostgreSQL: a connection of its own, committed at the end of the statement, so that the
    count holds even if the request fails later and no row lock waits for the request's end.
    SQLite: the request's own transaction (one writer at a time: a second connection would
    wait for the request's own write lock), which already makes the statement atomic.
    """
    if db.session.get_bind().dialect.name == "sqlite":
        yield db.session.connection()
        return
    with _counting_engine().begin() as connection:
        yield connection


class DatabaseBackend:
    """Counters as rows, updated by one statement each: right for one shared database."""

    table = RateCounter.__table__

    def hit(self, key: str, at: datetime, window: timedelta) -> int:
        """Insert the counter or add one to it (restarting an ended window) and read it back."""
        with _counting_connection() as connection:
            insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
            columns = self.table.c
            ended = columns.started_at <= to_storage(at - window)
            statement = (
                insert(self.table)
                .values(key=key, started_at=to_storage(at), hits=1)
                .on_conflict_do_update(
                    index_elements=[columns.key],
                    set_={
                        "hits": sa.case((ended, 1), else_=columns.hits + 1),
                        "started_at": sa.case((ended, to_storage(at)), else_=columns.started_at),
                    },
                )
                .returning(columns.hits)
            )
            return int(connection.execute(statement).scalar_one())

    def count(self, key: str, at: datetime, window: timedelta) -> int:
        """Read the counter if its window is still open."""
        columns = self.table.c
        query = sa.select(columns.hits).where(
            columns.key == key, columns.started_at > to_storage(at - window)
        )
        return int(db.session.scalar(query) or 0)

    def release(self, key: str) -> None:
        """Subtract one, never below zero."""
        columns = self.table.c
        with _counting_connection() as connection:
            connection.execute(
                sa.update(self.table)
                .where(columns.key == key, columns.hits > 0)
                .values(hits=columns.hits - 1)
            )

    def clear(self, key: str) -> None:
        """Delete the counter."""
        with _counting_connection() as connection:
            connection.execute(sa.delete(self.table).where(self.table.c.key == key))


# One round trip, atomic in Redis: restart an ended window or add one; keep the key a window.
_HIT = """
local started = tonumber(redis.call('HGET', KEYS[1], 'started'))
local hits
if started == nil or started <= tonumber(ARGV[1]) - tonumber(ARGV[2]) then
  redis.call('HSET', KEYS[1], 'started', ARGV[1], 'hits', 1)
  hits = 1
else
  hits = redis.call('HINCRBY', KEYS[1], 'hits', 1)
end
redis.call('EXPIRE', KEYS[1], ARGV[3])
return hits
"""
_RELEASE = """
if tonumber(redis.call('HGET', KEYS[1], 'hits') or '0') > 0 then
  redis.call('HINCRBY', KEYS[1], 'hits', -1)
end
return 0
"""


class RedisBackend:
    """Counters as Redis hashes (start of the window, hits), expiring by themselves."""

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        """Use `client`, namespacing keys with `prefix`."""
        self.client = client
        self.prefix = prefix

    def name(self, key: str) -> str:
        """Return the Redis key of a counter: every key is built here."""
        return self.prefix + key

    def hit(self, key: str, at: datetime, window: timedelta) -> int:
        """Count the hit in a Lua script: the count it returns is the one that decides."""
        seconds = window.total_seconds()
        keep = math.ceil(seconds) + 1
        # Sent as text, as redis-py would send the numbers; its sync client's replies are typed
        # as possibly awaitable (one type for both clients), hence the casts below.
        hits = self.client.eval(
            _HIT, 1, self.name(key), str(at.timestamp()), str(seconds), str(keep)
        )
        return int(cast(int, hits))

    def count(self, key: str, at: datetime, window: timedelta) -> int:
        """Read the counter if its window is still open."""
        started, hits = cast(list[Any], self.client.hmget(self.name(key), ["started", "hits"]))
        if started is None or float(started) <= at.timestamp() - window.total_seconds():
            return 0
        return int(hits or 0)

    def release(self, key: str) -> None:
        """Subtract one, never below zero."""
        self.client.eval(_RELEASE, 1, self.name(key))

    def clear(self, key: str) -> None:
        """Delete the key."""
        self.client.delete(self.name(key))


@dataclass
class _RedisLink:
    """One app's Redis client, and whether Redis was lost (process memory: no count here)."""

    backend: RedisBackend
    retry_seconds: float
    down_until: float = 0.0  # time.monotonic(): the frozen clock of the tests must not hold it

    def run(self, use: Callable[[Backend], T]) -> T:
        """Run `use` on Redis, or on the database while Redis is lost."""
        if time.monotonic() < self.down_until:
            return use(DatabaseBackend())
        try:
            result = use(self.backend)
        except redis.RedisError as error:
            if not self.down_until:
                log.warning(
                    "Redis cannot be reached (%s): the limits count in the database until it"
                    " answers again",
                    type(error).__name__,
                )
            self.down_until = time.monotonic() + self.retry_seconds
            return use(DatabaseBackend())
        if self.down_until:
            log.info("Redis answers again: the limits count in Redis")
            self.down_until = 0.0
        return result


def _redis_link() -> _RedisLink | None:
    """Return the app's Redis link (made on first use), or None without `REDIS_URL`."""
    config = current_app.config
    url = config.get("REDIS_URL")
    if not url:
        return None
    link = current_app.extensions.get("ratelimit_redis")
    if link is None:
        timeout = float(config.get("REDIS_TIMEOUT_SECONDS", 0.5))
        # No retries: a lost Redis costs one timeout, then the database counts.
        client = redis.Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout, retry=Retry(NoBackoff(), 0)
        )
        backend = RedisBackend(client, config.get("REDIS_PREFIX", "callcentre:"))
        link = _RedisLink(backend, float(config.get("REDIS_RETRY_SECONDS", 30)))
        current_app.extensions["ratelimit_redis"] = link
    return link


def _run(use: Callable[[Backend], T]) -> T:
    link = _redis_link()
    return use(DatabaseBackend()) if link is None else link.run(use)


def hit(key: str, window: timedelta) -> int:
    """Count an attempt of `key` now; return the attempts in its window, this one included."""
    return _run(lambda backend: backend.hit(key[:KEY_MAX], now(), window))


def record(key: str, keep: timedelta) -> None:
    """Count one event for `key` now, in a window of `keep`."""
    hit(key, keep)


def count(key: str, window: timedelta) -> int:
    """Return how many hits `key` had in its window, if that is still open."""
    return _run(lambda backend: backend.count(key[:KEY_MAX], now(), window))


def release(key: str) -> None:
    """Give back one hit of `key` (the attempt it counted turned out well)."""
    _run(lambda backend: backend.release(key[:KEY_MAX]))


def clear(key: str) -> None:
    """Forget `key` (e.g. after a successful login)."""
    _run(lambda backend: backend.clear(key[:KEY_MAX]))
