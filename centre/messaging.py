"""Outbound SMS and calls through the Twilio REST client, every one kept in the outbox.

Without credentials nothing leaves the machine: the message is recorded with status
`recorded`, which is what the tests and the demo read. With them, the message is written
`queued` in the transaction that decided to send it, and handed to Twilio only once that
transaction has committed (`sending`, then `sent` or `failed`): a step that rolls back (a
replayed webhook, a failure) sends nothing, and no HTTP call to Twilio holds a transaction
open. A message left `sending` was handed over when the process stopped: check it at Twilio.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app
from twilio.rest import Client

from centre import phones
from centre.clock import now, to_storage
from centre.extensions import Model, db, rows_changed
from centre.forgetting import Caller, Report

log = logging.getLogger(__name__)


class OutboundMessage(Model):
    """One SMS or call the centre sent, or would have sent without credentials."""

    __tablename__ = "outbound_messages"
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    channel: so.Mapped[str] = so.mapped_column(sa.String(10))  # sms | call
    purpose: so.Mapped[str] = so.mapped_column(sa.String(40))
    to_number: so.Mapped[str] = so.mapped_column(sa.String(32))
    language: so.Mapped[str] = so.mapped_column(sa.String(5))
    body: so.Mapped[str] = so.mapped_column(sa.Text)
    # recorded (no credentials) | queued | sending | sent | failed
    status: so.Mapped[str] = so.mapped_column(sa.String(20))
    provider_sid: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    error: so.Mapped[str | None] = so.mapped_column(sa.String(500))
    created_at: so.Mapped[datetime] = so.mapped_column(index=True)


def _client() -> Client | None:
    sid = current_app.config["TWILIO_ACCOUNT_SID"]
    token = current_app.config["TWILIO_AUTH_TOKEN"]
    return Client(sid, token) if sid else None


@dataclass(frozen=True)
class _Handover:
    """A queued message and how to hand it to Twilio once its transaction has committed."""

    message_id: int
    channel: str
    to: str
    send: Callable[[], Any]


PENDING = "centre.messaging.pending"  # the session's `info` key for its queued messages


def _deliver(
    channel: str,
    to: str,
    body: str,
    language: str,
    purpose: str,
    sender_setting: str,
    send: Callable[[Client, str], Any],
) -> OutboundMessage:
    """Keep the message in the outbox; queue it for Twilio when credentials and a sender are set."""
    client = _client()
    sender = current_app.config[sender_setting]
    message = OutboundMessage(
        channel=channel,
        purpose=purpose,
        to_number=to,
        language=language,
        body=body,
        status="queued" if client is not None and sender else "recorded",
        created_at=to_storage(now()),
    )
    db.session.add(message)
    if message.status == "queued":
        db.session.flush()  # its id, to find it again once the transaction has committed
        handover = _Handover(message.id, channel, to, lambda: send(client, sender))
        db.session.info.setdefault(PENDING, []).append(handover)
    log.info("%s %s to %s (%s)", channel, message.status, phones.mask(to), purpose)
    return message


def hand_over_committed(session: so.Session) -> None:
    """Give Twilio the messages of the transaction that has just committed."""
    for handover in session.info.pop(PENDING, []):
        try:
            _hand_over(handover)
        except Exception:  # what was committed stands; the outbox shows the message's state
            log.exception("outbox message %s could not be handed over", handover.message_id)


def forget_rolled_back(session: so.Session) -> None:
    """Send nothing that a rolled-back transaction queued."""
    session.info.pop(PENDING, None)


def _hand_over(handover: _Handover) -> None:
    outbox = OutboundMessage.__table__
    row = outbox.c.id == handover.message_id
    # Claim it first: a message whose row was rolled back (a savepoint) is never sent.
    with db.engine.begin() as connection:
        claimed = connection.execute(
            sa.update(outbox).where(row, outbox.c.status == "queued").values(status="sending")
        ).rowcount
    if not claimed:
        return
    try:
        sent = handover.send()
    except Exception as exc:  # refused by Twilio, or Twilio could not be reached
        values = {"status": "failed", "error": f"{type(exc).__name__}: {exc}"[:500]}
        log.warning(
            "%s to %s failed: %s", handover.channel, phones.mask(handover.to), type(exc).__name__
        )
    else:
        values = {"status": "sent", "provider_sid": sent.sid}
    with db.engine.begin() as connection:
        connection.execute(sa.update(outbox).where(row).values(**values))


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


def forget_caller(caller: Caller, report: Report) -> None:
    """Blank the caller's number on what the outbox sent them; the messages stay (they count)."""
    statement = (
        sa.update(OutboundMessage)
        .where(OutboundMessage.to_number == caller.number)
        .values(to_number="")
    )
    rows = db.session.execute(statement, execution_options={"synchronize_session": False})
    report.add("outbox numbers", rows_changed(rows))
