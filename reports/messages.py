"""The outbox as supervisors read it: what did not arrive, why, in words, and resending it."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import lazy_gettext as _l

from centre import messaging, phones
from centre.clock import now
from centre.messaging import OutboundMessage
from staff import audit

SHOWN_DAYS = 7
CHANNELS = {"sms": _l("Text message"), "call": _l("Phone call")}
PURPOSES = {
    "callback_booked": _l("Callback confirmation"),
    "callback_moved": _l("Callback moved"),
    "callback_reminder": _l("Callback reminder"),
    "callback_retry": _l("Callback: tried again after no answer"),
    "callback_unreached": _l("Callback: caller never reached"),
    "callback": _l("Callback: the agent's phone"),
    "queued_call": _l("Queued caller: the agent's phone"),
    "guide": _l("Guide checklist"),
    "case:lookup": _l("Application status"),
    "reply": _l("Reply to a caller"),
    "resolution": _l("Request handled: the caller told"),
}
STATUSES = {
    messaging.UNDELIVERED: _l("Not delivered"),
    messaging.FAILED: _l("Failed"),
    messaging.CHECK: _l("Unsure: check before resending"),
}
# Twilio's error codes people meet most, in words (others: the generic reason).
ERRORS = {
    "21211": _l("The number is not valid."),
    "21610": _l("The person asked not to receive texts from us."),
    "21614": _l("The number cannot receive texts."),
    "30003": _l("The phone was off or out of reach."),
    "30004": _l("The number blocks our texts."),
    "30005": _l("The number does not exist."),
    "30006": _l("A landline, or a network that does not take texts."),
    "30007": _l("The network filtered the text as unwanted."),
    "30008": _l("The network did not say why."),
}


def purpose_name(purpose: str) -> str:
    """Return what the message was for, in words."""
    if purpose.startswith("case:") and purpose != "case:lookup":
        return str(_l("News of an application"))
    return str(PURPOSES.get(purpose, _l("Other message")))


def reason(message: OutboundMessage) -> str:
    """Return why the message did not arrive, in words."""
    if message.status == messaging.CHECK:
        return str(_l("Handed to Twilio, then no answer: Twilio's log says whether it left."))
    if message.error_code in ERRORS:
        return str(ERRORS[message.error_code])
    if message.attempts and message.status == messaging.FAILED and not message.error_code:
        return str(_l("Twilio could not be reached, even after several attempts."))
    if message.channel == "call" and message.status == messaging.UNDELIVERED:
        return str(_l("No answer, or the line was busy."))
    return str(_l("Twilio refused it or the network lost it."))


def row(message: OutboundMessage) -> dict[str, object]:
    """Return one line of the page."""
    return {
        "id": message.id,
        "at": message.created_at,
        "channel": str(CHANNELS.get(message.channel, message.channel)),
        "to": phones.mask(message.to_number),
        "purpose": purpose_name(message.purpose),
        "status": str(STATUSES[message.status]),
        "reason": reason(message),
        "attempts": message.attempts,
        "unsure": message.status == messaging.CHECK,
    }


def not_delivered() -> list[dict[str, object]]:
    """Return the lines of the last SHOWN_DAYS days' messages that did not arrive."""
    return [row(m) for m in messaging.needing_attention(now() - timedelta(days=SHOWN_DAYS))]


def resend(message: OutboundMessage) -> OutboundMessage:
    """Queue the message again as a new one, and log who did it."""
    copy = messaging.resend(message)
    audit.record(
        "outbox.resend",
        "outbound_message",
        message.id,
        before={"status": message.status},
        after={"status": copy.status},
    )
    return copy
