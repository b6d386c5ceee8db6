"""Outbound SMS and calls through the Twilio REST client, every one kept in the outbox.

Without credentials nothing leaves the machine: the message is recorded with status
`recorded`, which is what the tests and the demo read.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app
from twilio.base.exceptions import TwilioException
from twilio.rest import Client

from centre import phones
from centre.clock import now, to_storage
from centre.extensions import db

log = logging.getLogger(__name__)


class OutboundMessage(db.Model):
    """One SMS or call the centre sent, or would have sent without credentials."""

    __tablename__ = "outbound_messages"
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    channel: so.Mapped[str] = so.mapped_column(sa.String(10))  # sms | call
    purpose: so.Mapped[str] = so.mapped_column(sa.String(40))
    to_number: so.Mapped[str] = so.mapped_column(sa.String(32))
    language: so.Mapped[str] = so.mapped_column(sa.String(5))
    body: so.Mapped[str] = so.mapped_column(sa.Text)
    status: so.Mapped[str] = so.mapped_column(sa.String(20))  # recorded | sent | failed
    provider_sid: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    error: so.Mapped[str | None] = so.mapped_column(sa.String(500))
    created_at: so.Mapped[datetime] = so.mapped_column(index=True)


def _client() -> Client | None:
    sid = current_app.config["TWILIO_ACCOUNT_SID"]
    token = current_app.config["TWILIO_AUTH_TOKEN"]
    if not sid or current_app.config["APP_ENV"] == "testing":
        return None
    return Client(sid, token)


def _deliver(
    channel: str,
    to: str,
    body: str,
    language: str,
    purpose: str,
    sender_setting: str,
    send: Callable[[Client, str], Any],
) -> OutboundMessage:
    """Keep the message in the outbox, and hand it to Twilio when credentials and a sender are set."""
    message = OutboundMessage(
        channel=channel,
        purpose=purpose,
        to_number=to,
        language=language,
        body=body,
        status="recorded",
        created_at=to_storage(now()),
    )
    client = _client()
    sender = current_app.config[sender_setting]
    if client is not None and sender:
        try:
            sent = send(client, sender)
        except TwilioException as exc:
            message.status, message.error = "failed", str(exc)[:500]
            log.warning("%s to %s failed: %s", channel, phones.mask(to), type(exc).__name__)
        else:
            message.status, message.provider_sid = "sent", sent.sid
    db.session.add(message)
    log.info("%s %s to %s (%s)", channel, message.status, phones.mask(to), purpose)
    return message


def send_sms(to: str, body: str, language: str, purpose: str) -> OutboundMessage:
    """Send `body` to `to` by SMS (or record it when no credentials are set)."""
    return _deliver(
        "sms", to, body, language, purpose, "TWILIO_SMS_FROM",
        lambda client, sender: client.messages.create(to=to, from_=sender, body=body),
    )  # fmt: skip


def place_call(to: str, url: str, language: str, purpose: str, note: str) -> OutboundMessage:
    """Ring `to` through Twilio; when answered, Twilio fetches `url` for what to play.

    The outbox keeps `note` (what the call is for) and never a credential or a URL secret.
    Without credentials the call is only recorded.
    """
    return _deliver(
        "call", to, note, language, purpose, "TWILIO_CALLER_ID",
        lambda client, sender: client.calls.create(to=to, from_=sender, url=url, method="POST"),
    )  # fmt: skip
