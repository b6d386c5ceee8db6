"""Property-based: any input gets playable TwiML, and no walk through the menus is a dead end.

Examples per test come from the Hypothesis profile (tests/conftest.py): `ci` by default.
"""

from __future__ import annotations

import secrets
from typing import Any

import pytest
import sqlalchemy as sa
import time_machine
from conftest import TOKEN
from hypothesis import given, note
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from centre import languages
from centre.extensions import db
from ivr.driver import FlaskTransport, PhoneCall, Turn, parse
from ivr.flow import MAX_FAILURES
from ivr.models import Call, CallEvent

FALLBACK = "+212522000000"
OPEN = "2026-12-01T10:00:00+00:00"  # a working Tuesday, 10:00 in Casablanca (UTC+0)
CLOSED = "2026-12-05T10:00:00+00:00"  # a Saturday

# --- what a hostile or broken carrier may send ---------------------------------------------

_ANY_CHAR = st.characters(exclude_categories=("Cs",))  # any script; surrogates cannot be sent
ODD_TEXT = st.one_of(
    st.sampled_from(
        [
            "",
            "*#",
            "#",
            "*",
            "0",
            "1",
            "9",
            "123#",
            " ",
            "\x00",
            "+",
            "%",
            "%(key)s",
            "+33612345678",
            "anonymous",
            "Anonymous",
            "+266696687",
            "00336 12 34",
        ]
    ),
    st.text(_ANY_CHAR, max_size=40),
    st.text(_ANY_CHAR, min_size=1000, max_size=1000),
    st.text("0123456789+ *#", min_size=1000, max_size=1000),
)
NUMBERS = st.one_of(
    st.sampled_from(["+33612345678", "+498000000000", "+34900000000", "+212600000000"]), ODD_TEXT
)
CONFIDENCE = st.one_of(
    ODD_TEXT, st.floats(allow_nan=True, allow_infinity=True).map(str), st.sampled_from(["0.99"])
)
CALLER_FIELDS = st.fixed_dictionaries(
    {},
    optional={
        "Digits": ODD_TEXT,
        "SpeechResult": ODD_TEXT,
        "Confidence": CONFIDENCE,
        "From": NUMBERS,
        "To": NUMBERS,
        "Caller": NUMBERS,
    },
)
# Fields of the other callbacks, just as untrustworthy.
EXTRA_FIELDS = st.fixed_dictionaries(
    {},
    optional={
        name: ODD_TEXT
        for name in (
            "CallStatus",
            "CallDuration",
            "RecordingSid",
            "RecordingUrl",
            "RecordingDuration",
            "RecordingStatus",
            "QueueResult",
            "QueueTime",
            "QueuePosition",
            "ErrorCode",
            "ErrorUrl",
        )
    },
)
# Where the call stands when the odd request comes (keys pressed after dialling).
PRELUDES = {
    "voice": [()],
    "step": [(), ("7",), ("2", "3"), ("6", "1"), ("3", "0"), ("7", "1", "1"), ("1", "3", "2")],
    "status": [(), ("7", "0")],
    "recording": [("7", "3", "1")],
    "fallback": [()],
    "queue_wait": [()],
    "queue_choice": [()],
}
URL_LANGUAGE = st.one_of(st.sampled_from(languages.CODES), ODD_TEXT)


def _check(url: str, status: int, content_type: str, body: str) -> Turn:
    assert status == 200, (url, status, body[:300])
    assert content_type.split(";")[0] == "text/xml", content_type
    return parse(url, body)


def _walk(phone: PhoneCall, keys: tuple[str, ...]) -> None:
    phone.dial()
    for key in keys:
        phone.press(key)


def _target(phone: PhoneCall, route: str, language: str) -> str:
    from urllib.parse import quote

    if route == "voice":
        return "/ivr/voice"
    if route == "step":
        turn = phone.turn
        assert turn is not None
        return (turn.gather or turn.record or turn.enqueue or {})["action"]
    if route == "recording":
        return phone.turn.record["recordingStatusCallback"]  # type: ignore[index]
    if route in ("queue_wait", "queue_choice"):
        return f"/ivr/{route.replace('_', '/')}?l={quote(language)}"
    return f"/ivr/{route}"


@pytest.mark.usefixtures("guide", "open_hours")
@pytest.mark.parametrize("route", PRELUDES)
def test_any_input_to_any_webhook_gets_playable_twiml(app, route):
    examples = []

    @given(
        fields=CALLER_FIELDS,
        extra=EXTRA_FIELDS,
        prelude=st.sampled_from(PRELUDES[route]),
        language=URL_LANGUAGE,
    )
    def property_(
        fields: dict[str, str], extra: dict[str, str], prelude: tuple[str, ...], language: str
    ) -> None:
        phone = PhoneCall(FlaskTransport(app), TOKEN, call_sid="CA" + secrets.token_hex(16))
        _walk(phone, prelude)
        url = _target(phone, route, language)
        data = {**phone.params(), **extra, **fields}
        note(f"POST {url} {data!r}")
        turn = _check(url, *phone.post(url, data))
        examples.append(1)
        if route in ("voice", "step", "queue_wait", "queue_choice"):
            # Odd input is not a fault: the caller is answered, not apologised to.
            assert turn.dial != FALLBACK, turn.xml
            assert turn.said or turn.leave or turn.redirect or turn.hangup

    property_()
    assert examples  # the property really ran


# --- random walks through the menus --------------------------------------------------------

SPOKEN = st.one_of(
    st.sampled_from(
        [
            "agent",
            "complaint",
            "passport",
            "main menu",
            "back",
            "call me back",
            "français",
            "English",
            "العربية",
            "Deutsch",
            "réclamation",
            "yes",
            "renew my passport",
            "carte d'identité",
            "again",
            "language",
        ]
    ),
    st.text(_ANY_CHAR, max_size=30),
)
QUEUE_RESULTS = ["bridged", "hangup", "leave", "error", "system-error", "redirected", "queue-full"]
PERSON_NODES = {"agent", "callback_offer", "callback"}


@pytest.mark.usefixtures("guide")
def test_random_walks_through_the_menus_never_reach_a_dead_end(app):
    run_state_machine_as_test(lambda: MenuWalk(app))


class MenuWalk(RuleBasedStateMachine):
    """A caller who presses, says, waits, records, queues and hangs up at random."""

    def __init__(self, app: Any) -> None:
        """Walk `app`'s menus."""
        super().__init__()
        self.app = app
        self.phone: PhoneCall | None = None
        self.clock: Any = None
        self.ended = False
        self.caller = ""
        self.calls: list[PhoneCall] = []  # every call placed, probes included, to end them all

    # --- the call ------------------------------------------------------------------------

    @initialize(
        hours=st.sampled_from([OPEN, CLOSED]),
        caller=st.sampled_from(["+33612345678", "+4915112345678", "anonymous", ""]),
        to=st.sampled_from(["+33805000000", "+34900000000", "+498000000000", "+448000000000"]),
    )
    def dial(self, hours: str, caller: str, to: str) -> None:
        """Place a call at a given hour."""
        self.clock = time_machine.travel(hours, tick=False)
        self.clock.start()
        self.caller = caller
        self.phone = PhoneCall(FlaskTransport(self.app), TOKEN, caller=caller, to=to)
        self.calls.append(self.phone)
        self.phone.dial()

    def teardown(self) -> None:
        """End every call (so none stays queued for the next walk) and stop the clock."""
        for phone in self.calls:
            phone.hang_up()
        if self.clock is not None:
            self.clock.stop()

    def _waiting(self, what: str) -> bool:
        phone = self.phone
        return (
            not self.ended
            and phone is not None
            and phone.turn is not None
            and (phone.turn.waiting_for == what)
        )

    @property
    def turn(self) -> Turn:
        """Return what the caller last heard."""
        assert self.phone is not None and self.phone.turn is not None
        return self.phone.turn

    def _row(self, call_sid: str | None = None) -> Call:
        with self.app.app_context():
            call = db.session.scalar(
                sa.select(Call).where(Call.call_sid == (call_sid or self.phone.call_sid))  # type: ignore[union-attr]
            )
            assert call is not None
            db.session.expunge(call)
            return call

    # --- what the caller does ------------------------------------------------------------

    @precondition(lambda self: self._waiting("gather"))
    @rule(key=st.sampled_from(list("0123456789*#")))
    def press(self, key: str) -> None:
        """Press a key."""
        self.phone.press(key)  # type: ignore[union-attr]

    @precondition(
        lambda self: self._waiting("gather") and "speech" in self.turn.gather.get("input", "")
    )  # type: ignore[union-attr]
    @rule(phrase=SPOKEN, confidence=st.floats(0, 1))
    def speak(self, phrase: str, confidence: float) -> None:
        """Say something."""
        self.phone.speak(phrase, confidence)  # type: ignore[union-attr]

    @precondition(lambda self: self._waiting("gather"))
    @rule()
    def stay_silent(self) -> None:
        """Say nothing until the prompt times out."""
        self.phone.silence()  # type: ignore[union-attr]

    @precondition(lambda self: self._waiting("record"))
    @rule(seconds=st.integers(1, 120), reported=st.sampled_from(["completed", "absent", None]))
    def leave_a_message(self, seconds: int, reported: str | None) -> None:
        """Speak after the tone; Twilio may then report the recording."""
        phone = self.phone
        assert phone is not None
        phone.leave_message(seconds)
        if reported is not None:
            assert phone.recording_ready(reported) == 200

    @precondition(lambda self: self._waiting("record"))
    @rule()
    def say_nothing_after_the_tone(self) -> None:
        """Record silence."""
        self.phone.say_nothing_after_tone()  # type: ignore[union-attr]

    @precondition(lambda self: self._waiting("queue"))
    @rule(position=st.integers(1, 40), waited=st.integers(0, 3000), leave=st.booleans())
    def wait_in_the_queue(self, position: int, waited: int, leave: bool) -> None:
        """Hear the wait message; maybe press 1 for a callback, which leaves the queue."""
        phone = self.phone
        assert phone is not None
        queued = phone.turn
        wait = phone.hold(position, waited)
        assert wait.gather is not None and wait.redirect, wait.xml
        if leave:
            assert phone.request(wait.gather["action"], Digits="1").leave
            phone.turn = queued
            phone.leave_queue("leave", waited)
        else:
            phone.turn = queued  # still queued: Twilio keeps playing the wait URL

    @precondition(lambda self: self._waiting("queue"))
    @rule(result=st.sampled_from(QUEUE_RESULTS))
    def leave_the_queue(self, result: str) -> None:
        """Be answered, hang up, or be dropped from the queue."""
        self.phone.leave_queue(result)  # type: ignore[union-attr]

    @precondition(lambda self: not self.ended and self.phone is not None)
    @rule(status=st.sampled_from(["completed", "busy", "failed", "no-answer"]))
    def hang_up(self, status: str) -> None:
        """The caller hangs up wherever they are."""
        assert self.phone.hang_up(status) == 200  # type: ignore[union-attr]
        self.ended = True

    @precondition(lambda self: self.ended or self._waiting("hangup"))
    @rule()
    def call_again(self) -> None:
        """A caller who was cut off calls again (their language is remembered)."""
        phone = self.phone
        assert phone is not None
        if not self.ended:
            assert phone.hang_up() == 200
        self.phone = PhoneCall(phone.transport, TOKEN, caller=phone.caller, to=phone.to)
        self.calls.append(self.phone)
        self.phone.dial()
        self.ended = False

    # --- the promise: never a dead end ---------------------------------------------------

    @precondition(lambda self: self._waiting("gather") and "queue" not in self.turn.url)
    @rule()
    def check_a_person_can_be_reached_from_here(self) -> None:
        """From this prompt, 0 or a few silences reach an agent or a callback (on a copy)."""
        here = self._row()
        if here.node in PERSON_NODES or self.turn.hangup:
            return  # a person is reached, or the call ends here (a callback booked: goodbye)
        clone_sid = "CA" + secrets.token_hex(16)
        with self.app.app_context():
            copy = Call(
                **{
                    c.key: getattr(here, c.key)
                    for c in Call.__table__.columns
                    if c.key not in ("id", "call_sid")
                },
                call_sid=clone_sid,
            )
            db.session.add(copy)
            db.session.commit()
        phone = self.phone
        assert phone is not None
        probe = PhoneCall(phone.transport, TOKEN, phone.caller, phone.to, clone_sid)
        self.calls.append(probe)
        probe.turn = phone.turn
        probe.press("0")
        for _ in range(MAX_FAILURES):
            if self._reached_a_person(clone_sid, probe):
                return
            if probe.turn is None or probe.turn.gather is None:
                break
            probe.silence()
        assert self._reached_a_person(clone_sid, probe), (
            f"no way to a person from {here.node}: {probe.turn.xml if probe.turn else None}"
        )

    def _reached_a_person(self, call_sid: str, probe: PhoneCall) -> bool:
        if probe.turn is not None and probe.turn.enqueue is not None:
            return True
        with self.app.app_context():
            call = db.session.scalar(sa.select(Call).where(Call.call_sid == call_sid))
            assert call is not None
            visited = set(
                db.session.scalars(sa.select(CallEvent.to_node).where(CallEvent.call_id == call.id))
            )
            # A withheld number with no agent free cannot have a callback: "call us again at ..."
            ends = PERSON_NODES | {"call_later"}
            return call.node in ends or bool(visited & ends)

    @invariant()
    def every_answer_leads_somewhere(self) -> None:
        """Every prompt waits for the caller with a way on; the call ends only after goodbye."""
        if self.phone is None or self.phone.turn is None or self.ended:
            return
        turn = self.turn
        assert turn.dial is None, f"an apology: something failed\n{turn.xml}"
        waiting = turn.waiting_for
        assert waiting in ("gather", "record", "queue", "hangup"), turn.xml
        if turn.gather is not None:
            # Answer and silence: silence is redirected, or (the reminder offered after a
            # callback is booked) falls through to the goodbye and the hangup.
            assert turn.gather.get("action") and (turn.redirect or turn.hangup), turn.xml
            assert turn.said, turn.xml
        if turn.record is not None:
            assert turn.record.get("action") and turn.redirect, turn.xml
            assert turn.record.get("recordingStatusCallback"), turn.xml
        if turn.enqueue is not None:
            assert turn.enqueue.get("action") and turn.enqueue.get("waitUrl"), turn.xml
        if turn.hangup:
            node = self._row().node
            assert node in ("goodbye", "call_later", "hung_up"), node
            if node != "hung_up":
                assert turn.said, "hung up without a goodbye"
