"""The same signed request delivered twice at once, to two workers, does its work once.

Two app instances (two engines, two connection pools: two workers) on the test database,
two threads released together by a barrier. Only the database can settle who wins: its
unique constraints and the call row's version, never a cache in either process.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from conftest import TOKEN
from helpers import row_counts

from ivr.driver import FlaskTransport, PhoneCall, Turn, parse

ROUNDS = 4  # fresh calls per scenario: each round is one more chance to collide
FALLBACK = "+212522000000"


def delivered_twice_at_once(
    phones: list[PhoneCall], url: str, data: dict[str, str]
) -> list[tuple[int, str, str]]:
    """Post the same signed request through each phone (one per worker) at the same moment."""
    barrier = threading.Barrier(len(phones))
    answers: list[tuple[int, str, str] | None] = [None] * len(phones)
    errors: list[BaseException] = []

    def send(index: int, phone: PhoneCall) -> None:
        try:
            barrier.wait(timeout=10)
            answers[index] = phone.post(url, data)
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=send, args=(i, p)) for i, p in enumerate(phones)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    assert all(a is not None for a in answers)
    return answers  # type: ignore[return-value]


def added_rows(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    """Return how many rows each table gained."""
    return {name: after[name] - before[name] for name in after if after[name] != before[name]}


@pytest.fixture
def workers(app, make_app):  # type: ignore[no-untyped-def]
    """Return two more app instances on the same database: two workers."""
    return [make_app(), make_app()]


def same_call_on(workers, phone: PhoneCall) -> list[PhoneCall]:  # type: ignore[no-untyped-def]
    """Return the caller's call as each worker would receive it from Twilio."""
    return [
        PhoneCall(FlaskTransport(w), TOKEN, phone.caller, phone.to, phone.call_sid) for w in workers
    ]


def check_both_answers(answers: list[tuple[int, str, str]], url: str) -> list[Turn]:
    """Both deliveries get TwiML (the duplicate a replay of the same prompt), not an apology."""
    turns = []
    for status, content_type, body in answers:
        assert (status, content_type.split(";")[0]) == (200, "text/xml"), body[:200]
        turn = parse(url, body)
        assert turn.dial != FALLBACK, f"a duplicate was answered with an apology: {body[:300]}"
        turns.append(turn)
    return turns


Scenario = Callable[[PhoneCall], tuple[str, dict[str, str]]]


def _new_call(phone: PhoneCall) -> tuple[str, dict[str, str]]:
    return "/ivr/voice", phone.params()


def _complaint_choice(phone: PhoneCall) -> tuple[str, dict[str, str]]:
    phone.dial()
    phone.press("7")
    phone.press("3")
    return phone.turn.gather["action"], phone.params(Digits="1")


def _agent_choice(phone: PhoneCall) -> tuple[str, dict[str, str]]:
    phone.dial()
    phone.press("7")
    return phone.turn.gather["action"], phone.params(Digits="0")


def _callback_choice(phone: PhoneCall) -> tuple[str, dict[str, str]]:
    phone.dial()
    phone.press("7")
    phone.press("0")  # closed: the callback offer
    return phone.turn.gather["action"], phone.params(Digits="1")


def _recording_ready(phone: PhoneCall) -> tuple[str, dict[str, str]]:
    _complaint_choice(phone)
    phone.press("1")
    phone.leave_message()
    data = phone.params(RecordingStatus="completed", **phone.last_recording)
    return phone.recorder["recordingStatusCallback"], data


def _call_ended(phone: PhoneCall) -> tuple[str, dict[str, str]]:
    _agent_choice(phone)
    phone.press("0")  # queued
    return "/ivr/status", phone.params(CallStatus="completed", CallDuration="75")


SCENARIOS: dict[str, tuple[Scenario, str, dict[str, int]]] = {
    # name: (bring the call to the point, hours, rows the request must add exactly once)
    "a new call": (_new_call, "open_hours", {"calls": 1}),
    "a complaint is chosen": (_complaint_choice, "open_hours", {"tickets": 1, "call_events": 1}),
    "an agent is asked for": (_agent_choice, "open_hours", {"tickets": 1, "call_events": 1}),
    "a callback is booked": (
        _callback_choice,
        "closed_hours",
        {"tickets": 1, "callbacks": 1, "call_events": 1, "outbound_messages": 1},
    ),
    "a recording is reported": (_recording_ready, "open_hours", {"recordings": 1}),
    "the call ends": (_call_ended, "open_hours", {}),
}


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_the_same_request_twice_at_once_on_two_workers_does_its_work_once(
    app, workers, call, request, scenario
):
    prepare, hours, expected = SCENARIOS[scenario]
    request.getfixturevalue(hours)
    for _ in range(ROUNDS):
        phone = call(on=workers[0])
        url, data = prepare(phone)
        before = row_counts(app)
        answers = delivered_twice_at_once(same_call_on(workers, phone), url, data)
        turns = check_both_answers(answers, url)
        assert added_rows(before, row_counts(app)) == expected
        assert turns[0].xml == turns[1].xml  # the duplicate hears what the original heard
