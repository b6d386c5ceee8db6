"""A caller and a Twilio in one: signs webhooks, posts what Twilio posts, follows the TwiML.

The tests drive every call through this, the `flask call` command and the browser
simulator use it too, so trying the menu needs no Twilio account:

    phone = PhoneCall(FlaskTransport(app), token, caller="+33612345678", to="+33805000000")
    turn = phone.dial()          # the language menu
    turn = phone.press("2")      # French
    print(turn.text)             # what the caller hears
"""

from __future__ import annotations

import secrets
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlencode, urljoin, urlsplit
from xml.etree import ElementTree

from twilio.request_validator import RequestValidator

from centre import phones

ENTRY_PATH = "/ivr/voice"
ACTIONS = ("press", "speak", "silence", "record", "hold", "leave")  # what `PhoneCall.act` does
STATUS_PATH = "/ivr/status"
MAX_REDIRECTS = 10


class TwimlError(AssertionError):
    """The app answered something Twilio could not play."""


@dataclass(frozen=True)
class Said:
    """One sentence the caller hears."""

    text: str
    voice: str
    language: str


@dataclass
class Turn:
    """What the caller hears, and what Twilio would do next, after one webhook."""

    url: str
    xml: str
    said: list[Said] = field(default_factory=list)
    gather: dict[str, str] | None = None
    record: dict[str, str] | None = None
    enqueue: dict[str, str] | None = None
    dial: str | None = None
    redirect: str | None = None
    hangup: bool = False
    leave: bool = False

    @property
    def text(self) -> str:
        """Return everything said, as one string."""
        return " ".join(s.text for s in self.said)

    @property
    def waiting_for(self) -> str:
        """Return what the call waits on: gather, record, queue, dial, hangup or nothing."""
        for name, present in (
            ("gather", self.gather),
            ("record", self.record),
            ("queue", self.enqueue),
            ("dial", self.dial),
            ("hangup", self.hangup),
            ("leave", self.leave),
        ):
            if present:
                return name
        return "nothing"


def parse(url: str, xml: str) -> Turn:
    """Parse a TwiML document the way Twilio reads it; refuse anything that is not TwiML."""
    try:
        root = ElementTree.fromstring(xml)  # noqa: S314 (our own app's TwiML, in tests and the simulator)
    except ElementTree.ParseError as exc:
        raise TwimlError(f"not XML from {url}: {xml[:200]!r}") from exc
    if root.tag != "Response":
        raise TwimlError(f"root is <{root.tag}>, not <Response>, from {url}")
    turn = Turn(url=url, xml=xml)
    for verb in root:
        _read_verb(turn, verb)
    return turn


def _read_verb(turn: Turn, verb: ElementTree.Element) -> None:
    if verb.tag == "Say":
        turn.said.append(Said(verb.text or "", verb.get("voice", ""), verb.get("language", "")))
    elif verb.tag == "Gather" and turn.gather is None:
        turn.gather = dict(verb.attrib)
        for inner in verb:
            if inner.tag == "Say":
                turn.said.append(
                    Said(inner.text or "", inner.get("voice", ""), inner.get("language", ""))
                )
    elif verb.tag == "Record" and turn.record is None:
        turn.record = dict(verb.attrib)
    elif verb.tag == "Enqueue":
        turn.enqueue = dict(verb.attrib, name=verb.text or "")
    elif verb.tag == "Dial":
        turn.dial = (verb.text or "").strip() or "".join(e.text or "" for e in verb)
    elif verb.tag == "Redirect" and turn.redirect is None:
        turn.redirect = verb.text or ""
    elif verb.tag == "Hangup":
        turn.hangup = True
    elif verb.tag == "Leave":
        turn.leave = True


class Transport(Protocol):
    """Something that can POST a form to the app and return (status, content type, body)."""

    base_url: str

    def post(self, url: str, data: dict[str, str], headers: dict[str, str]) -> tuple[int, str, str]:
        """POST `data` to `url` with `headers`."""
        ...


class FlaskTransport:
    """Post through the app's test client, in a fresh app context of its own."""

    base_url = "http://localhost"

    def __init__(self, app: Any) -> None:
        """Wrap a Flask app."""
        self.app = app
        self.client = app.test_client()

    def post(self, url: str, data: dict[str, str], headers: dict[str, str]) -> tuple[int, str, str]:
        """POST through the test client."""
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        with self.app.app_context():
            response = self.client.post(path, data=data, headers=headers, base_url=self.base_url)
        return response.status_code, response.content_type or "", response.get_data(as_text=True)


class HttpTransport:
    """Post over HTTP to a running server (the benchmark, or a deployed app)."""

    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        """Point at a server such as http://127.0.0.1:5000."""
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def post(self, url: str, data: dict[str, str], headers: dict[str, str]) -> tuple[int, str, str]:
        """POST with urllib."""
        body = urlencode(data).encode()
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return (
                    response.status,
                    response.headers.get("Content-Type", ""),
                    response.read().decode(),
                )
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("Content-Type", ""), error.read().decode()


def sign(token: str, url: str, data: dict[str, str]) -> str:
    """Return the X-Twilio-Signature Twilio would send for this URL and form."""
    return RequestValidator(token).compute_signature(url, data)


class PhoneCall:
    """One caller on one call, with Twilio in between."""

    def __init__(
        self,
        transport: Transport,
        auth_token: str,
        caller: str = "+33612345678",
        to: str = "+33805000000",
        call_sid: str | None = None,
    ) -> None:
        """Prepare a call from `caller` to the dialled number `to`."""
        self.transport = transport
        self.token = auth_token
        self.caller = caller
        self.to = to
        self.call_sid = call_sid or "CA" + secrets.token_hex(16)
        self.turn: Turn | None = None
        self.history: list[Turn] = []
        self.recorder: dict[str, str] | None = None
        self.last_recording: dict[str, str] = {}
        self.queue: dict[str, str] | None = None
        self.queue_place = (1, 30)  # (position, seconds waited) Twilio reports to the wait URL
        self.dequeued: Turn | None = None  # the queue action's answer when an agent took the call

    # --- what Twilio sends ---------------------------------------------------------------

    def params(self, **extra: str) -> dict[str, str]:
        """Return the standard voice webhook parameters plus `extra`."""
        base = {
            "AccountSid": "AC" + "0" * 32,
            "ApiVersion": "2010-04-01",
            "CallSid": self.call_sid,
            "CallStatus": "in-progress",
            "Direction": "inbound",
            "From": self.caller,
            "Caller": self.caller,
            "To": self.to,
            "Called": self.to,
            "FromCountry": phones.country(self.caller) or "",
            "ToCountry": phones.country(self.to) or "",
        }
        base.update(extra)
        return base

    def post(
        self, url: str, data: dict[str, str], signature: str | None = None
    ) -> tuple[int, str, str]:
        """POST a signed form, as Twilio does (or with the given, possibly wrong, signature)."""
        absolute = urljoin(self.transport.base_url + "/", url)
        headers = {
            "X-Twilio-Signature": signature
            if signature is not None
            else sign(self.token, absolute, data)
        }
        return self.transport.post(absolute, data, headers)

    def request(self, url: str, **extra: str) -> Turn:
        """POST to `url` with the call's parameters, check the TwiML, follow bare redirects."""
        for _ in range(MAX_REDIRECTS):
            if self._to_wait_url(url) and "QueuePosition" not in extra:
                extra = self._queue_params()  # Twilio tells the wait URL where the caller is
            status, content_type, body = self.post(url, self.params(**extra))
            if status != 200:
                raise TwimlError(f"{url} answered {status}: {body[:200]!r}")
            if not content_type.startswith("text/xml"):
                raise TwimlError(f"{url} answered {content_type!r}, not text/xml")
            turn = parse(urljoin(self.transport.base_url + "/", url), body)
            self.history.append(turn)
            self.turn = turn
            if turn.waiting_for == "nothing" and turn.redirect:
                url, extra = turn.redirect, {}
                continue
            return turn
        raise TwimlError(f"more than {MAX_REDIRECTS} redirects in a row")

    def text(self, body: str, signature: str | None = None, **extra: str) -> tuple[int, str]:
        """Text `body` from the caller's number to the centre's, as Twilio Messaging posts it.

        Return the status and the body of the answer (TwiML); `signature` replaces the good one,
        `extra` adds fields (Twilio's `OptOutType`, say).
        """
        data = {
            "AccountSid": "AC" + "0" * 32,
            "ApiVersion": "2010-04-01",
            "MessageSid": "SM" + secrets.token_hex(16),
            "SmsSid": "SM" + secrets.token_hex(16),
            "From": self.caller,
            "To": self.to,
            "Body": body,
            "NumMedia": "0",
            "NumSegments": "1",
            "FromCountry": phones.country(self.caller) or "",
            "ToCountry": phones.country(self.to) or "",
            **extra,
        }
        status, _content_type, answer = self.post("/ivr/sms", data, signature)
        return status, answer

    def _to_wait_url(self, url: str) -> bool:
        if self.queue is None or not self.queue.get("waitUrl"):
            return False
        return urlsplit(url).path == urlsplit(self.queue["waitUrl"]).path

    def _queue_params(self) -> dict[str, str]:
        position, waited = self.queue_place
        return {
            "QueuePosition": str(position),
            "QueueTime": str(waited),
            "CurrentQueueSize": str(position),
        }

    # --- what the caller does ------------------------------------------------------------

    def act(self, action: str, value: str = "") -> Turn:
        """Do one of ACTIONS by name, as the shell and the browser simulator ask.

        `value` holds the keys pressed, the words said or how the queue is left (`bridged` by
        default); silence while recording is an empty message.
        """
        if action == "press":
            return self.press(value)
        if action == "speak":
            return self.speak(value)
        if action == "silence":
            recording = self.turn is not None and self.turn.record is not None
            return self.say_nothing_after_tone() if recording else self.silence()
        if action == "record":
            return self.leave_message()
        if action == "hold":
            return self.hold()
        if action == "leave":
            return self.leave_queue(value or "bridged")
        raise ValueError(f"unknown action {action!r}")

    def dial(self) -> Turn:
        """Place the call: Twilio asks the Voice URL."""
        return self.request(ENTRY_PATH)

    def _gather(self) -> dict[str, str]:
        if self.turn is None or self.turn.gather is None:
            raise TwimlError(f"the call is not waiting for input but for {self._waiting()}")
        return self.turn.gather

    def _waiting(self) -> str:
        return self.turn.waiting_for if self.turn else "a dial"

    def press(self, digits: str) -> Turn:
        """Type keys while the menu waits for them.

        As Twilio does, stop at the finish key (`#` unless the gather names another), which
        is not sent, or once `numDigits` keys are in.
        """
        gather = self._gather()
        finish = gather.get("finishOnKey", "#")
        if finish and finish in digits:
            digits = digits[: digits.index(finish)]
        limit = int(gather.get("numDigits", "0") or 0)
        if limit:
            digits = digits[:limit]
        return self.request(gather["action"], Digits=digits)

    def speak(self, phrase: str, confidence: float = 0.92) -> Turn:
        """Say a phrase while the menu listens (speech recognition's result)."""
        gather = self._gather()
        if "speech" not in gather.get("input", ""):
            raise TwimlError("this prompt does not listen for speech")
        return self.request(gather["action"], SpeechResult=phrase, Confidence=f"{confidence:.2f}")

    def silence(self) -> Turn:
        """Say nothing: the gather times out and Twilio moves to the next verb."""
        self._gather()
        if self.turn is not None and not self.turn.redirect and self.turn.hangup:
            # What follows the gather ends the call (a goodbye): Twilio plays it and hangs up.
            ended = Turn(url=self.turn.url, xml=self.turn.xml)
            for verb in ElementTree.fromstring(self.turn.xml):  # noqa: S314 (our own app's TwiML)
                if verb.tag != "Gather":
                    _read_verb(ended, verb)
            self.history.append(ended)
            self.turn = ended
            return ended
        if self.turn is None or not self.turn.redirect:
            raise TwimlError("nothing follows the gather: the call would hang up on silence")
        return self.request(self.turn.redirect)

    def leave_message(
        self, seconds: int = 12, recording_sid: str | None = None, url: str | None = None
    ) -> Turn:
        """Speak after the tone and press #: Twilio posts the recording to the action URL.

        `url` is where the recording can be fetched (Twilio's API unless given).
        """
        if self.turn is None or self.turn.record is None:
            raise TwimlError(f"the call is not recording but waiting for {self._waiting()}")
        sid = recording_sid or "RE" + secrets.token_hex(16)
        self.last_recording = {
            "RecordingSid": sid,
            "RecordingUrl": url
            or f"https://api.twilio.com/2010-04-01/Accounts/AC/Recordings/{sid}",
            "RecordingDuration": str(seconds),
        }
        self.recorder = self.turn.record
        return self.request(self.recorder["action"], Digits="#", **self.last_recording)

    def recording_ready(self, status: str = "completed") -> int:
        """Twilio's recording status callback for the last message; return the HTTP status."""
        if self.recorder is None:
            raise TwimlError("no recording was asked for")
        data = self.params(RecordingStatus=status, **self.last_recording)
        code, _, _ = self.post(self.recorder["recordingStatusCallback"], data)
        return code

    def say_nothing_after_tone(self) -> Turn:
        """Record silence: Twilio skips the action and carries on with the next verb."""
        if self.turn is None or self.turn.record is None or not self.turn.redirect:
            raise TwimlError("no redirect follows the recording")
        self.recorder = self.turn.record
        return self.request(self.turn.redirect)

    def hold(self, position: int = 1, waited: int = 30) -> Turn:
        """While queued, Twilio fetches the wait URL with the caller's position."""
        if self.turn is not None and self.turn.enqueue is not None:
            self.queue = self.turn.enqueue
        elif self.queue is None:
            raise TwimlError(f"the call is not queued but waiting for {self._waiting()}")
        self.queue_place = (position, waited)
        return self.request(self.queue["waitUrl"], **self._queue_params())

    def leave_queue(self, result: str = "bridged", waited: int = 60) -> Turn:
        """The caller leaves the queue (`bridged`, `hangup`, `leave`, ...): Twilio posts the action."""
        queue = self.queue or (self.turn.enqueue if self.turn else None)
        if queue is None:
            raise TwimlError("the call was never queued")
        return self.request(queue["action"], QueueResult=result, QueueTime=str(waited))

    def taken_out_of_queue(self, url: str, waited: int = 60) -> Turn:
        """An agent took this caller: Twilio's queue member update sends the call to `url`.

        A call taken out of its queue through the REST API also has its `<Enqueue>` action
        requested at once, with QueueResult=redirected; that answer is kept in `dequeued`.
        """
        queue = self.queue or (self.turn.enqueue if self.turn else None)
        if queue is None:
            raise TwimlError("the call was never queued")
        self.queue = None
        self.dequeued = self.request(
            queue["action"], QueueResult="redirected", QueueTime=str(waited)
        )
        return self.request(url)

    def left(self) -> Turn:
        """After `<Leave>`, Twilio posts the queue's action with QueueResult=leave; so do we."""
        if self.turn is None or not self.turn.leave:
            raise TwimlError(f"the call is not leaving a queue but waiting for {self._waiting()}")
        return self.leave_queue("leave")

    def hang_up(self, status: str = "completed", duration: int = 95) -> int:
        """The call ends: Twilio posts the status callback; return the HTTP status."""
        data = self.params(CallStatus=status, CallDuration=str(duration))
        code, _, _ = self.post(STATUS_PATH, data)
        return code
