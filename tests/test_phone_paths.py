"""Every phone path ends well: an agent, a booked callback, "call us again at ..." or the caller's hang-up.

"Let me find someone to help you" is a promise: it is only ever followed by the agents' queue.
"""

from __future__ import annotations

import secrets

import pytest
import sqlalchemy as sa
import time_machine
from conftest import TOKEN
from flask_babel import force_locale, gettext
from helpers import walk_to_main_menu
from hypothesis import given, note, settings
from hypothesis import strategies as st

from centre import languages
from centre.extensions import db
from ivr.driver import FlaskTransport, PhoneCall, Turn
from ivr.models import Call

OPEN = "2026-12-01T10:00:00+00:00"  # a working Tuesday, 10:00 in Casablanca (UTC+0)
CLOSED = "2026-12-05T11:00:00+00:00"  # a Saturday
FINDING = "Let me find someone to help you."
CANNOT = "We cannot take your call now."
SILENT_STEPS = 15  # from anywhere, this many silences reach an end


def _translations(app, message: str) -> set[str]:  # type: ignore[no-untyped-def]
    with app.test_request_context():
        found = set()
        for code in languages.CODES:
            with force_locale(code):
                found.add(gettext(message))
        return found


def _node(app, phone: PhoneCall) -> str:  # type: ignore[no-untyped-def]
    with app.app_context():
        return db.session.scalar(sa.select(Call.node).where(Call.call_sid == phone.call_sid))


def _context(app, phone: PhoneCall) -> dict:  # type: ignore[no-untyped-def]
    with app.app_context():
        return db.session.scalar(sa.select(Call.context).where(Call.call_sid == phone.call_sid))


# --- the dead ends the issue found ----------------------------------------------------------


def test_three_misses_at_the_callback_offer_when_closed_say_when_we_open_then_hang_up(
    app, call, closed_hours
):
    phone = call()
    walk_to_main_menu(phone, "en")
    assert "called back" in phone.press("0").text
    for _ in range(3):
        turn = phone.silence()
    assert turn.hangup
    assert FINDING not in turn.text
    # Saturday 11:00: the agents are back on Monday 7 December at 08:00 (09:00 in Paris).
    assert turn.text.startswith(CANNOT)
    assert "Monday, 7 December 2026 at 08:00, Moroccan time" in turn.text
    assert "That is 09:00 your time" in turn.text and "Goodbye" in turn.text


def test_three_misses_at_the_callback_offer_when_the_queue_is_full_ask_to_call_again(
    app, call, open_hours
):
    app.config["QUEUE_MAX_LENGTH"] = 0
    phone = call()
    walk_to_main_menu(phone, "fr")
    assert "occupés" in phone.press("0").text
    for _ in range(3):
        turn = phone.silence()
    assert turn.hangup
    assert "Je cherche quelqu'un pour vous aider" not in turn.text
    assert "Nous ne pouvons pas prendre votre appel pour le moment." in turn.text
    assert "Merci de nous rappeler dans quelques minutes." in turn.text


def test_misses_at_the_main_menu_when_closed_promise_nobody_and_offer_a_callback(
    app, call, closed_hours
):
    phone = call()
    walk_to_main_menu(phone, "en")
    for _ in range(3):
        turn = phone.silence()
    assert FINDING not in turn.text
    assert "Moroccan time" in turn.text and "called back" in turn.text


def test_misses_in_opening_hours_still_find_someone(app, call, open_hours):
    phone = call()
    walk_to_main_menu(phone, "en")
    for _ in range(3):
        turn = phone.silence()
    assert FINDING in turn.text and turn.enqueue is not None


@pytest.mark.parametrize("fixture", ["closed_hours", "open_hours"])
def test_a_silent_caller_with_a_withheld_number_is_told_when_to_call_and_hung_up(
    app, call, request, fixture
):
    request.getfixturevalue(fixture)
    if fixture == "open_hours":
        app.config["QUEUE_MAX_LENGTH"] = 0
    phone = call(caller="anonymous")
    walk_to_main_menu(phone, "fr")
    turns = [phone.silence() for _ in range(3)]
    assert turns[-1].hangup, turns[-1].xml
    assert _node(app, phone) == "call_later"
    heard = " ".join(t.text for t in turns)
    assert "Je cherche quelqu'un pour vous aider" not in heard
    assert "Nous ne pouvons pas prendre votre appel pour le moment." in turns[-1].text
    if fixture == "closed_hours":
        assert "lundi 7 décembre 2026 à 08:00, heure marocaine" in turns[-1].text


# --- the property: every walk ends, and "finding someone" means an agent ---------------------

SPOKEN = st.sampled_from(
    [
        "agent",
        "complaint",
        "renew my passport",
        "call me back",
        "main menu",
        "back",
        "yes",
        "power of attorney",
        "français",
        "again",
        "guide",
        "",
        "blah",
    ]
)
ACTION = st.one_of(
    st.tuples(st.just("press"), st.sampled_from(list("0123456789*#"))),
    st.tuples(st.just("speak"), SPOKEN),
    st.tuples(st.just("silence"), st.just("")),
)


def _act(phone: PhoneCall, action: str, value: str) -> None:
    turn = phone.turn
    assert turn is not None
    if turn.record is not None:
        if action == "silence":
            phone.say_nothing_after_tone()
        else:
            phone.leave_message()
    elif action == "speak" and "speech" in (turn.gather or {}).get("input", ""):
        phone.speak(value)
    elif action == "press":
        phone.press(value)
    else:
        phone.silence()


def _ended(turn: Turn) -> bool:
    return turn.enqueue is not None or turn.hangup or turn.dial is not None


@pytest.mark.usefixtures("guide")
def test_every_walk_through_the_menus_ends_with_a_person_a_callback_or_when_to_call(app):
    finding = _translations(app, FINDING)
    cannot = _translations(app, CANNOT)
    usual_length = app.config["QUEUE_MAX_LENGTH"]
    walks = []

    @settings(max_examples=min(settings.default.max_examples, 40))
    @given(
        hours=st.sampled_from(["open", "closed", "full"]),
        caller=st.sampled_from(["+33612345678", "anonymous"]),
        actions=st.lists(ACTION, max_size=10),
    )
    def walk(hours: str, caller: str, actions: list[tuple[str, str]]) -> None:
        app.config["QUEUE_MAX_LENGTH"] = 0 if hours == "full" else usual_length
        moment = CLOSED if hours == "closed" else OPEN
        phone = PhoneCall(
            FlaskTransport(app),
            TOKEN,
            caller=caller,
            to="+33805000000",
            call_sid="CA" + secrets.token_hex(16),
        )
        with time_machine.travel(moment, tick=False):
            try:
                phone.dial()
                for action, value in actions:
                    if _ended(phone.turn):
                        break
                    _act(phone, action, value)
                # Then the caller stays silent: the call must end within a bounded number of steps.
                for _ in range(SILENT_STEPS):
                    if _ended(phone.turn):
                        break
                    _act(phone, "silence", "")
                turn = phone.turn
                note(f"{hours} {caller}: ends at {_node(app, phone)}: {turn.xml}")
                assert _ended(turn), f"no end after {SILENT_STEPS} silences"
                assert turn.dial is None, "an apology: something failed"
                for heard in phone.history:
                    if any(sentence in heard.text for sentence in finding):
                        assert heard.enqueue is not None, f"a promise nobody keeps: {heard.xml}"
                if turn.enqueue is not None:
                    assert hours == "open", "queued though no agent can answer"
                else:
                    node = _node(app, phone)
                    assert node in ("goodbye", "call_later"), node
                    if node == "goodbye":  # only a booked callback says goodbye without a person
                        assert _context(app, phone).get("callback_texted"), turn.xml
                    else:
                        assert any(turn.text.startswith(s) for s in cannot), turn.xml
            finally:
                phone.hang_up()
        walks.append(hours)

    try:
        walk()
    finally:
        app.config["QUEUE_MAX_LENGTH"] = usual_length
    assert walks
