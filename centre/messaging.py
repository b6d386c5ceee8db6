"""Outbound SMS and calls through the Twilio REST client, every one kept in the outbox.

The outbox row is the job. Without credentials nothing leaves the machine: the message is
written `recorded`, which is what the tests and the demo read. With them, the row is written
`queued` in the transaction that decided to send it, and a job carrying only its id is enqueued
once that transaction has committed (`centre.jobs`): a step that rolls back leaves no row, so
nothing is sent, whatever the queue holds.

A worker claims the row atomically (`queued` -> `sending`, with a fresh attempt token) before
it calls Twilio, so one row is handed over at most once however many jobs name it. Then:

- Twilio accepted it: `sent`, with its sid; Twilio's status callbacks (`ivr/status.py`) move it
  on to `delivered`, `undelivered` or `failed`, with the error code;
- an error worth retrying (Twilio busy or down, 429 or 5xx, or not reached at all): back to
  `queued`, due again after a back-off that doubles at each attempt, `failed` after the last;
- refused (any other 4xx, e.g. an invalid number): `failed` with Twilio's code;
- no answer after the request left (a read timeout, the worker killed): the row stays `sending`.
  The sweep (every minute) asks Twilio for the messages or calls to that number since the
  claim: found, it records the sid (`sent`); surely absent, it queues the row again; when
  Twilio cannot be asked, it marks the row `check`, for a person to look at before resending.

The sweep also enqueues again the `queued` rows whose wake-up was lost. Sending is paced per
sender number across every worker (`centre.pacing`).
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import requests
import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Flask, current_app
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from centre import jobs, pacing, phones
from centre.clock import now, to_storage
from centre.extensions import Model, db, rows_changed
from centre.forgetting import Caller, Report

log = logging.getLogger(__name__)

# What a row's status can be; `STAGE` orders them so a late report never moves a row back.
RECORDED, QUEUED, SENDING, SENT, DELIVERED, UNDELIVERED, FAILED, CHECK = (
    "recorded",
    "queued",
    "sending",
    "sent",
    "delivered",
    "undelivered",
    "failed",
    "check",
)
STAGE = {QUEUED: 0, SENDING: 1, CHECK: 1, SENT: 2, DELIVERED: 3, UNDELIVERED: 3, FAILED: 3}
NOT_DELIVERED = (UNDELIVERED, FAILED, CHECK)  # what a supervisor is shown and may resend
RETRYABLE_HTTP = {429, 500, 502, 503, 504}
SENDER_SETTING = {"sms": "TWILIO_SMS_FROM", "call": "TWILIO_CALLER_ID"}
RATE_SETTING = {"sms": "SMS_PER_SECOND", "call": "CALLS_PER_SECOND"}
STATUS_PATH = "outbox.status_path"  # app.extensions key: the status callback's path template


class OutboundMessage(Model):
    """One SMS or call the centre sends (or would have sent without credentials): its job."""

    __tablename__ = "outbound_messages"
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    channel: so.Mapped[str] = so.mapped_column(sa.String(10))  # sms | call
    purpose: so.Mapped[str] = so.mapped_column(sa.String(40))
    to_number: so.Mapped[str] = so.mapped_column(sa.String(32))
    language: so.Mapped[str] = so.mapped_column(sa.String(5))
    body: so.Mapped[str] = so.mapped_column(sa.Text)
    # recorded (no credentials) | queued | sending | sent | delivered | undelivered | failed | check
    status: so.Mapped[str] = so.mapped_column(sa.String(20), index=True)
    provider_sid: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    error: so.Mapped[str | None] = so.mapped_column(sa.String(500))
    created_at: so.Mapped[datetime] = so.mapped_column(index=True)
    attempts: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    claim_token: so.Mapped[str | None] = so.mapped_column(sa.String(32))
    claimed_at: so.Mapped[datetime | None]
    next_attempt_at: so.Mapped[datetime | None]
    updated_at: so.Mapped[datetime | None]
    provider_status: so.Mapped[str | None] = so.mapped_column(sa.String(20))  # Twilio's word
    error_code: so.Mapped[str | None] = so.mapped_column(sa.String(10))  # Twilio's error code
    url: so.Mapped[str | None] = so.mapped_column(sa.String(500))  # what an outbound call fetches
    resent_from_id: so.Mapped[int | None] = so.mapped_column(index=True)


class _ToTwilioAt(TwilioHttpClient):
    """Twilio's HTTP client, sending every request to another origin (a stub on loopback)."""

    def __init__(self, origin: str, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self.origin = origin.rstrip("/")

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        """Send the request to the same path on the configured origin."""
        parts = urlsplit(url)
        return super().request(method, self.origin + parts.path, *args, **kwargs)


def twilio_client() -> Client | None:
    """Return Twilio's REST client with the configured timeout and origin, or None without an account."""
    config = current_app.config
    sid, token = config["TWILIO_ACCOUNT_SID"], config["TWILIO_AUTH_TOKEN"]
    if not sid:
        return None
    timeout = config["TWILIO_TIMEOUT_SECONDS"]
    origin = config["TWILIO_API_URL"]
    http = _ToTwilioAt(origin, timeout) if origin else TwilioHttpClient(timeout=timeout)
    return Client(sid, token, http_client=http)


PENDING = "centre.messaging.pending"  # the session's `info` key for its queued messages


def _write(
    channel: str, to: str, body: str, language: str, purpose: str, url: str | None = None
) -> OutboundMessage:
    """Keep the message in the outbox; queue it for a worker when credentials and a sender are set."""
    sending = (
        current_app.config["TWILIO_ACCOUNT_SID"] and current_app.config[SENDER_SETTING[channel]]
    )
    stamp = to_storage(now())
    message = OutboundMessage(
        channel=channel,
        purpose=purpose,
        to_number=to,
        language=language,
        body=body,
        status=QUEUED if sending else RECORDED,
        created_at=stamp,
        updated_at=stamp,
        attempts=0,
        url=url,
    )
    db.session.add(message)
    if message.status == QUEUED:
        db.session.flush()  # its id, for the job enqueued once the transaction has committed
        db.session.info.setdefault(PENDING, []).append(message.id)
    log.info("%s %s to %s (%s)", channel, message.status, phones.mask(to), purpose)
    return message


def hand_over_committed(session: so.Session) -> None:
    """Enqueue the jobs of the messages the transaction that has just committed queued."""
    for message_id in session.info.pop(PENDING, []):
        jobs.enqueue(send_message, message_id)


def forget_rolled_back(session: so.Session) -> None:
    """Enqueue nothing for what a rolled-back transaction queued."""
    session.info.pop(PENDING, None)


def send_sms(to: str, body: str, language: str, purpose: str) -> OutboundMessage:
    """Send `body` to `to` by SMS (or record it when no credentials are set)."""
    return _write("sms", to, body, language, purpose)


def place_call(to: str, url: str, language: str, purpose: str, note: str) -> OutboundMessage:
    """Ring `to` through Twilio; when answered, Twilio fetches `url` for what to play.

    The outbox keeps `note` (what the call is for) as its body, and the URL (which carries
    only ids, never a credential). Without credentials the call is only recorded.
    """
    return _write("call", to, note, language, purpose, url=url)


def register_status_path(app: Flask, template: str) -> None:
    """Tell Twilio to report each message's fate to `template.format(id)` on PUBLIC_URL."""
    app.extensions[STATUS_PATH] = template


def _status_callback(message_id: int) -> str | None:
    public = current_app.config.get("PUBLIC_URL")
    template = current_app.extensions.get(STATUS_PATH)
    return public + template.format(message_id) if public and template else None


def redirect_queue_member(queue: str, call_sid: str, url: str) -> bool:
    """Take the call `call_sid` out of Twilio's queue `queue` and have it fetch `url` next.

    Twilio's Member resource, addressed by the caller's CallSid: that caller, not the front of
    the queue. Returns False without credentials (nothing leaves the machine) or when Twilio
    does not hold the call in that queue any more; raises on an error worth retrying.
    """
    client = twilio_client()
    if client is None:
        log.info("queued call not redirected (no Twilio credentials)")
        return False
    found = [q for q in client.queues.list(limit=1000) if q.friendly_name == queue]
    if not found:
        return False
    try:
        client.queues(str(found[0].sid)).members(call_sid).update(url=url, method="POST")
    except TwilioRestException as exc:
        if exc.status in RETRYABLE_HTTP:
            raise
        log.warning("queued call not redirected: Twilio refused it (%s)", exc.code or exc.status)
        return False
    return True


# --- the worker's side ----------------------------------------------------------------------

_outbox = OutboundMessage.__table__
_columns = _outbox.c


def _update(*where: Any, **values: Any) -> int:
    """Change outbox rows in a transaction of their own; return how many changed."""
    with db.engine.begin() as connection:
        return int(connection.execute(sa.update(_outbox).where(*where).values(**values)).rowcount)


def _read(message_id: int) -> Any:
    with db.engine.connect() as connection:
        return connection.execute(sa.select(_outbox).where(_columns.id == message_id)).first()


def backoff_seconds(attempts: int) -> float:
    """Return the wait before the attempt after `attempts` failed ones: doubling, at most an hour."""
    first = current_app.config["OUTBOX_RETRY_SECONDS"]
    return float(min(first * 2 ** max(attempts - 1, 0), 3600))


def _create(client: Client, row: Any, sender: str) -> Any:
    callback = _status_callback(row.id)
    extra: dict[str, Any] = {"status_callback": callback} if callback else {}
    if row.channel == "call":
        if callback:
            extra["status_callback_event"] = ["initiated", "ringing", "answered", "completed"]
        return client.calls.create(
            to=row.to_number, from_=sender, url=row.url, method="POST", **extra
        )
    return client.messages.create(to=row.to_number, from_=sender, body=row.body, **extra)


def deliver(message_id: int) -> str:
    """Hand the queued message `message_id` to Twilio once; return what became of it.

    The row decides: one not `queued`, or not yet due, is left alone ("skipped").
    """
    config = current_app.config
    row = _read(message_id)
    moment = to_storage(now())
    if row is None or row.status != QUEUED:
        return "skipped"
    if row.next_attempt_at is not None and row.next_attempt_at > moment:
        return "skipped"
    client, sender = twilio_client(), config[SENDER_SETTING[row.channel]]
    if client is None or not sender:
        return "skipped"  # credentials were taken away: the row waits for them
    paced = pacing.take_turn(row.channel, sender, config[RATE_SETTING[row.channel]])
    # On SQLite the turn is counted in the session's own transaction: end it before the
    # writes below, which go through connections of their own (the file has one writer).
    db.session.commit()
    if not paced:
        jobs.enqueue(send_message, message_id, delay=1)
        return "paced"
    token = secrets.token_hex(16)
    due = sa.or_(_columns.next_attempt_at.is_(None), _columns.next_attempt_at <= moment)
    claimed = _update(
        _columns.id == message_id,
        _columns.status == QUEUED,
        due,
        status=SENDING,
        claim_token=token,
        claimed_at=moment,
        updated_at=moment,
        attempts=_columns.attempts + 1,
    )
    if not claimed:
        return "skipped"
    mine = (_columns.id == message_id, _columns.claim_token == token)
    masked = phones.mask(row.to_number)
    try:
        created = _create(client, row, sender)
    except TwilioRestException as exc:
        code = str(exc.code or exc.status)[:10]
        if exc.status in RETRYABLE_HTTP:
            return _retry(message_id, token, row.attempts + 1, f"Twilio {exc.status}", code)
        log.warning("%s %s to %s refused by Twilio (%s)", row.channel, message_id, masked, code)
        _update(
            *mine,
            status=FAILED,
            error=f"Twilio refused it: {exc.msg}"[:500],
            error_code=code,
            updated_at=to_storage(now()),
        )
        return FAILED
    except requests.ReadTimeout:
        # The request left: Twilio may have it. The sweep asks Twilio before anything else.
        log.warning("%s %s to %s: no answer from Twilio", row.channel, message_id, masked)
        _update(*mine, error="no answer from Twilio; to be checked", updated_at=to_storage(now()))
        return SENDING
    except requests.ConnectionError as exc:
        return _retry(message_id, token, row.attempts + 1, type(exc).__name__, None)
    except Exception as exc:  # not knowing whether it left, a person decides
        log.exception("%s %s to %s: unexpected error", row.channel, message_id, masked)
        _update(
            *mine, status=CHECK, error=f"{type(exc).__name__}"[:500], updated_at=to_storage(now())
        )
        return CHECK
    # A status callback may have arrived first and moved the row on: keep its word.
    _update(
        *mine,
        provider_sid=created.sid,
        status=sa.case((_columns.status.in_((SENDING, CHECK)), SENT), else_=_columns.status),
        provider_status=sa.func.coalesce(_columns.provider_status, str(created.status or "")[:20]),
        updated_at=to_storage(now()),
    )
    log.info("%s %s to %s handed to Twilio", row.channel, message_id, masked)
    return SENT


def _retry(message_id: int, token: str, attempts: int, error: str, code: str | None) -> str:
    mine = (_columns.id == message_id, _columns.claim_token == token)
    moment = now()
    if attempts >= current_app.config["OUTBOX_MAX_ATTEMPTS"]:
        log.warning("outbox message %s failed after %s attempts (%s)", message_id, attempts, error)
        _update(
            *mine,
            status=FAILED,
            error=f"{error} (after {attempts} attempts)"[:500],
            error_code=code,
            updated_at=to_storage(moment),
        )
        return FAILED
    wait = backoff_seconds(attempts)
    _update(
        *mine,
        status=QUEUED,
        claim_token=None,
        error=error[:500],
        error_code=code,
        next_attempt_at=to_storage(moment + timedelta(seconds=wait)),
        updated_at=to_storage(moment),
    )
    log.info(
        "outbox message %s: %s, attempt %s again in %.0f s", message_id, error, attempts + 1, wait
    )
    jobs.enqueue(send_message, message_id, delay=wait)
    return "retrying"


@jobs.job()
def send_message(message_id: int) -> None:
    """Hand the outbox message `message_id` to Twilio (the worker's job)."""
    deliver(message_id)


# --- the sweep: lost wake-ups and messages left `sending` -----------------------------------


def _found_at_twilio(client: Client, row: Any, sender: str) -> str | None:
    """Return the sid of what Twilio holds for this row since it was claimed, or None."""
    since = row.claimed_at - timedelta(minutes=5)
    if row.channel == "call":
        listed = client.calls.list(to=row.to_number, from_=sender, limit=50)
        same = [c for c in listed if c.date_created is None or _naive(c.date_created) >= since]
    else:
        listed = client.messages.list(to=row.to_number, from_=sender, limit=50)
        same = [
            m
            for m in listed
            if m.body == row.body and (m.date_created is None or _naive(m.date_created) >= since)
        ]
    return str(same[0].sid) if same else None


def _naive(moment: datetime) -> datetime:
    return to_storage(moment)


def sweep() -> dict[str, int]:
    """Enqueue again the queued messages whose job was lost; settle those left `sending`."""
    config = current_app.config
    moment = now()
    grace = to_storage(moment - timedelta(seconds=config["OUTBOX_REQUEUE_SECONDS"]))
    stuck = to_storage(moment - timedelta(seconds=config["OUTBOX_CHECK_AFTER_SECONDS"]))
    counts = {"requeued": 0, "found": 0, "resent": 0, "check": 0}
    with db.engine.connect() as connection:
        waiting = (
            connection.execute(
                sa.select(_columns.id).where(
                    _columns.status == QUEUED,
                    sa.func.coalesce(_columns.next_attempt_at, _columns.created_at) <= grace,
                )
            )
            .scalars()
            .all()
        )
        left = connection.execute(
            sa.select(_outbox).where(_columns.status == SENDING, _columns.claimed_at <= stuck)
        ).all()
    for message_id in waiting:
        counts["requeued"] += jobs.enqueue(send_message, message_id)
    client = twilio_client()
    for row in left:
        counts[_settle(client, row)] += 1
    if any(counts.values()):
        log.info("outbox sweep: %s", counts)
    return counts


def _settle(client: Client | None, row: Any) -> str:
    mine = (_columns.id == row.id, _columns.claim_token == row.claim_token)
    sender = current_app.config[SENDER_SETTING[row.channel]]
    try:
        if client is None or not sender:
            raise RuntimeError("no Twilio credentials to ask with")
        sid = _found_at_twilio(client, row, sender)
    except Exception as exc:
        log.warning(
            "outbox message %s could not be checked at Twilio: %s", row.id, type(exc).__name__
        )
        _update(
            *mine,
            status=CHECK,
            updated_at=to_storage(now()),
            error="handed over, then no answer; Twilio could not be asked",
        )
        return "check"
    if sid:
        _update(*mine, status=SENT, provider_sid=sid, updated_at=to_storage(now()))
        return "found"
    _update(
        *mine, status=QUEUED, claim_token=None, next_attempt_at=None, updated_at=to_storage(now())
    )
    jobs.enqueue(send_message, row.id)
    return "resent"


# --- what Twilio reports, and what supervisors do about it ---------------------------------

MESSAGE_STATUSES = {
    "accepted": SENT,
    "scheduled": SENT,
    "queued": SENT,
    "sending": SENT,
    "sent": SENT,
    "delivered": DELIVERED,
    "read": DELIVERED,
    "receiving": SENT,
    "received": DELIVERED,
    "undelivered": UNDELIVERED,
    "failed": FAILED,
    "canceled": FAILED,
}
CALL_STATUSES = {
    "queued": SENT,
    "initiated": SENT,
    "ringing": SENT,
    "in-progress": DELIVERED,
    "completed": DELIVERED,
    "busy": UNDELIVERED,
    "no-answer": UNDELIVERED,
    "failed": FAILED,
    "canceled": FAILED,
}


def record_report(message_id: int, reported: str, sid: str, error_code: str) -> bool:
    """Apply Twilio's status callback for `message_id`; return False if it names no such row.

    A report never moves a row back (a late `sent` after `delivered` changes nothing), and one
    whose sid differs from the row's is ignored.
    """
    message = db.session.get(OutboundMessage, message_id)
    if message is None or (message.provider_sid and sid and message.provider_sid != sid):
        return False
    table = CALL_STATUSES if message.channel == "call" else MESSAGE_STATUSES
    status = table.get(reported.lower())
    if status is None:
        return True
    current = STAGE.get(message.status)
    if current is not None and (STAGE[status] > current or status == message.status):
        message.status = status
        message.provider_status = reported[:20]
        message.error_code = error_code[:10] or message.error_code
    if sid and not message.provider_sid:
        message.provider_sid = sid[:64]
    message.updated_at = to_storage(now())
    db.session.flush()
    return True


def resend(message: OutboundMessage) -> OutboundMessage:
    """Queue a new message like `message` (undelivered, failed or unsure), replacing it."""
    resent = db.session.scalar(
        sa.select(sa.func.count()).where(OutboundMessage.resent_from_id == message.id)
    )
    if message.status not in NOT_DELIVERED or not message.to_number or resent:
        raise ValueError("only an undelivered message with a number, not yet resent, is resent")
    copy = _write(
        message.channel,
        message.to_number,
        message.body,
        message.language,
        message.purpose,
        url=message.url,
    )
    copy.resent_from_id = message.id
    db.session.flush()
    return copy


def needing_attention(since: datetime, limit: int = 200) -> list[OutboundMessage]:
    """Return the messages since `since` that did not arrive and were not resent, newest first."""
    replaced = sa.select(OutboundMessage.resent_from_id).where(
        OutboundMessage.resent_from_id.is_not(None)
    )
    return list(
        db.session.scalars(
            sa.select(OutboundMessage)
            .where(
                # Texts and calls: the record of a recording's deletion at Twilio ("api") is
                # retried by the next purge, never resent by a person.
                OutboundMessage.channel.in_(tuple(SENDER_SETTING)),
                OutboundMessage.status.in_(NOT_DELIVERED),
                OutboundMessage.created_at >= to_storage(since),
                OutboundMessage.id.not_in(replaced),
            )
            .order_by(OutboundMessage.created_at.desc(), OutboundMessage.id.desc())
            .limit(limit)
        )
    )


def forget_caller(caller: Caller, report: Report) -> None:
    """Blank the caller's number on what the outbox sent them; the messages stay (they count)."""
    statement = (
        sa.update(OutboundMessage)
        .where(OutboundMessage.to_number == caller.number)
        .values(to_number="")
    )
    rows = db.session.execute(statement, execution_options={"synchronize_session": False})
    report.add("outbox numbers", rows_changed(rows))


# --- the backlog, for the wallboard ---------------------------------------------------------


class Backlog(NamedTuple):
    """What the outbox still has to send, and what failed today."""

    queued: int  # due now, waiting for a worker
    retrying: int  # failed an attempt, due again later
    sending: int  # handed to a worker, no answer yet
    failed_today: int  # undelivered, failed or to be checked, since midnight (centre's time)
    oldest_waiting: datetime | None  # when the oldest message still to send was written (UTC)


def backlog(midnight: datetime) -> Backlog:
    """Return the outbox's backlog; `midnight` is the start of today in the centre (aware)."""
    moment = to_storage(now())
    c = OutboundMessage
    retrying = sa.and_(c.status == QUEUED, c.next_attempt_at > moment)
    row = db.session.execute(
        sa.select(
            sa.func.count().filter(
                c.status == QUEUED, sa.or_(c.next_attempt_at.is_(None), c.next_attempt_at <= moment)
            ),
            sa.func.count().filter(retrying),
            sa.func.count().filter(c.status == SENDING),
            sa.func.count().filter(
                c.status.in_(NOT_DELIVERED), c.created_at >= to_storage(midnight)
            ),
            sa.func.min(c.created_at).filter(c.status.in_((QUEUED, SENDING))),
        ).where(c.status.in_((QUEUED, SENDING, *NOT_DELIVERED)))
    ).one()
    return Backlog(int(row[0]), int(row[1]), int(row[2]), int(row[3]), row[4])
