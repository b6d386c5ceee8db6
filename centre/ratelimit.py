"""Sliding-window counters shared by every worker: Redis when `REDIS_URL` is set, else the database.

Used for limits that must hold across machines (failed case lookups per number, login
attempts per account and per address). Never process memory.

    limits.record("lookup-fail:" + caller_hash)
    if limits.count("lookup-fail:" + caller_hash, window=timedelta(hours=24)) > 5: ...
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Protocol

import redis
import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app

from centre.clock import now, to_storage
from centre.extensions import db

KEY_MAX = 200


class RateEvent(db.Model):
    """One counted event, for the database backend."""

    __tablename__ = "rate_events"
    __table_args__ = (sa.Index("ix_rate_events_key_at", "key", "at"),)
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    key: so.Mapped[str] = so.mapped_column(sa.String(KEY_MAX))
    at: so.Mapped[datetime]


class Backend(Protocol):
    """Where the events are counted."""

    def record(self, key: str, at: datetime, keep: timedelta) -> None:
        """Count one event for `key` at `at`, kept at least `keep`."""

    def count(self, key: str, since: datetime) -> int:
        """Return how many events `key` has had since `since`."""

    def clear(self, key: str) -> None:
        """Forget every event of `key`."""


class DatabaseBackend:
    """Events as rows: right for one database shared by all workers, no extra service."""

    def record(self, key: str, at: datetime, keep: timedelta) -> None:
        """Insert the event; prune this key's events older than `keep`."""
        db.session.execute(
            sa.delete(RateEvent).where(RateEvent.key == key, RateEvent.at < to_storage(at - keep))
        )
        db.session.add(RateEvent(key=key, at=to_storage(at)))
        db.session.flush()

    def count(self, key: str, since: datetime) -> int:
        """Count the key's rows since `since`."""
        query = sa.select(sa.func.count()).where(
            RateEvent.key == key, RateEvent.at >= to_storage(since)
        )
        return db.session.scalar(query) or 0

    def clear(self, key: str) -> None:
        """Delete the key's rows."""
        db.session.execute(sa.delete(RateEvent).where(RateEvent.key == key))


class RedisBackend:
    """Events in a Redis sorted set per key, scored by time, expiring by themselves."""

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        """Use `client`, namespacing keys with `prefix`."""
        self.client = client
        self.prefix = prefix

    def record(self, key: str, at: datetime, keep: timedelta) -> None:
        """Add the event and drop the key's events older than `keep`, atomically."""
        name = self.prefix + key
        score = at.timestamp()
        with self.client.pipeline(transaction=True) as pipe:
            pipe.zadd(name, {f"{score}:{secrets.token_hex(4)}": score})
            pipe.zremrangebyscore(name, "-inf", score - keep.total_seconds())
            pipe.expire(name, int(keep.total_seconds()) + 1)
            pipe.execute()

    def count(self, key: str, since: datetime) -> int:
        """Count the key's events since `since`."""
        return int(self.client.zcount(self.prefix + key, since.timestamp(), "+inf"))

    def clear(self, key: str) -> None:
        """Delete the key."""
        self.client.delete(self.prefix + key)


def backend() -> Backend:
    """Return the configured backend (one Redis client per app, created on first use)."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return DatabaseBackend()
    client = current_app.extensions.get("redis")
    if client is None:
        client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        current_app.extensions["redis"] = client
    return RedisBackend(client, current_app.config.get("REDIS_PREFIX", "callcentre:"))


def record(key: str, keep: timedelta) -> None:
    """Count one event for `key` now, keeping it at least `keep`."""
    backend().record(key[:KEY_MAX], now(), keep)


def count(key: str, window: timedelta) -> int:
    """Return how many events `key` had in the last `window`."""
    return backend().count(key[:KEY_MAX], now() - window)


def clear(key: str) -> None:
    """Forget `key`'s events (e.g. after a successful login)."""
    backend().clear(key[:KEY_MAX])
