"""The back-office systems allowed to push changes: one bearer token each, stored hashed."""

from __future__ import annotations

import hashlib
import secrets

import sqlalchemy as sa

from cases.models import FeedClient
from centre.clock import now, to_storage
from centre.extensions import db

TOKEN_BYTES = 32


def _digest(token: str) -> str:
    # The token is 256 random bits: a fast hash is enough, no password stretching needed.
    return hashlib.sha256(token.encode()).hexdigest()


def add_client(name: str) -> str:
    """Register a client and return its token (shown once: only its hash is kept)."""
    name = name.strip()
    if not name or len(name) > 50:
        raise ValueError("a client name has 1 to 50 characters")
    if db.session.scalar(sa.select(FeedClient.id).where(FeedClient.name == name)):
        raise ValueError(f"a client named {name!r} already exists")
    token = "cs_" + secrets.token_urlsafe(TOKEN_BYTES)
    db.session.add(FeedClient(name=name, token_hash=_digest(token), created_at=to_storage(now())))
    return token


def revoke_client(name: str) -> bool:
    """Revoke a client's token; return False when there is no such active client."""
    client = db.session.scalar(
        sa.select(FeedClient).where(FeedClient.name == name, FeedClient.revoked_at.is_(None))
    )
    if client is None:
        return False
    client.revoked_at = to_storage(now())
    return True


def authenticate(token: str) -> FeedClient | None:
    """Return the active client this bearer token belongs to, if any."""
    if not token or len(token) > 200:
        return None
    client = db.session.scalar(
        sa.select(FeedClient).where(
            FeedClient.token_hash == _digest(token), FeedClient.revoked_at.is_(None)
        )
    )
    if client is not None:
        client.last_used_at = to_storage(now())
    return client
