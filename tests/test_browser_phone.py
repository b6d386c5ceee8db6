"""The browser phone at /try/, tried as a caller would in real headless Chromium.

Each flow of issue 17: a case-status lookup with the demo reference typed key by key, a
complaint with a recorded message, a callback asked for from the waiting message, a hang-up.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from cases.demo import DEMO_BIRTH_DATE, demo_references, load_demo_cases
from centre.extensions import db
from ivr.models import Call
from tickets.models import Callback, Recording, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("guide")]

FRENCH_NUMBER, SPANISH_NUMBER = "+33805000000", "+34900000000"


@pytest.fixture
def demo_cases(app):  # type: ignore[no-untyped-def]
    """Load the demo applications `flask setup --demo` loads."""
    with app.app_context():
        load_demo_cases()
        db.session.commit()


def dial(page, server: str, lang: str, number: str = FRENCH_NUMBER, caller: str = "+33612345678"):  # type: ignore[no-untyped-def]
    """Open the phone page in `lang` and place a call."""
    page.goto(f"{server}/try/?lang={lang}")
    page.select_option("select[name=to]", number)
    page.fill("input[name=caller]", caller)
    page.locator("form.dial button[type=submit]").click()
    page.wait_for_selector(".heard li")


def press(page, keys: str) -> None:  # type: ignore[no-untyped-def]
    """Press keys on the page's keypad one at a time, like fingers on a phone."""
    with page.expect_navigation():
        for key in keys:
            page.locator(f".keys button[value='{key}']").click()


def heard(page) -> str:  # type: ignore[no-untyped-def]
    """Return what the caller heard after the last click."""
    return page.locator(".heard ol").inner_text()


def calls(app) -> list[Call]:  # type: ignore[no-untyped-def]
    """Return every call row."""
    with app.app_context():
        return list(db.session.scalars(sa.select(Call)))


def test_a_case_status_lookup_with_the_demo_reference_typed_key_by_key(
    app, live_server, page, demo_cases, open_hours
):
    reference = demo_references()[0]
    dial(page, live_server, "fr")
    press(page, "2")  # French
    press(page, "2")  # the status of an application
    assert page.locator(".keypad .hint").inner_text() == "La saisie se termine par #."
    assert page.locator("input[name=speech]").count() == 0  # this prompt only takes keys
    press(page, reference + "#")
    assert ", ".join(reference) in heard(page)  # the ten digits were sent as one entry
    press(page, "1")  # that is right
    day, month, year = DEMO_BIRTH_DATE[8:], DEMO_BIRTH_DATE[5:7], DEMO_BIRTH_DATE[:4]
    press(page, day + month + year + "#")
    assert "5 mars 1984" in heard(page)
    press(page, "1")
    assert "en cours d'examen" in heard(page)
    press(page, "1")  # by SMS
    texts = page.locator(".texts li")
    assert texts.count() == 1 and reference in texts.first.inner_text()
    assert texts.first.get_attribute("lang") == "fr"
    body = page.locator("main").inner_text()
    assert "Polly" not in body and "waits for" not in body and "Hang up" not in body


def test_a_complaint_with_a_recorded_message_in_arabic(app, live_server, page, open_hours):
    dial(page, live_server, "ar")
    press(page, "1")  # Arabic
    lines = page.locator(".heard li")
    assert lines.first.get_attribute("dir") == "rtl" and lines.first.get_attribute("lang") == "ar"
    assert not re.match(r"[A-Za-z]", lines.first.inner_text())  # no voice name before the words
    press(page, "3")
    press(page, "1")  # a complaint
    with page.expect_navigation():
        page.locator("button[value=record]").click()
    assert re.search(r"(\d[،,] ){8}\d", heard(page)), "the ticket's reference is read back"
    audio = page.locator(".sent audio")
    assert (
        page.request.get(live_server + audio.get_attribute("src")).headers["content-type"]
        == "audio/wav"
    )
    with app.app_context():
        ticket = db.session.scalar(sa.select(Ticket))
        recording = db.session.scalar(sa.select(Recording))
        assert ticket.type == "complaint" and ticket.language == "ar" and ticket.has_message
        assert recording.ticket_id == ticket.id and recording.duration == 3
        assert page.request.get(recording.url).body()[:4] == b"RIFF"


def test_a_callback_from_the_waiting_message(app, live_server, page, open_hours):
    dial(page, live_server, "es", SPANISH_NUMBER, caller="+34612345678")
    press(page, "3")  # Spanish
    press(page, "0")  # an agent
    assert page.locator(".queue .position").inner_text() == "Ocupa el puesto número 1 en la cola."
    assert page.locator("audio.hold").count() == 1
    press(page, "1")  # called back instead, keeping the place
    assert page.locator("audio.hold").count() == 0
    with app.app_context():
        callback = db.session.scalar(sa.select(Callback))
        assert callback is not None and callback.state == "booked"
    texts = page.locator(".texts li")  # the booked time, texted in Spanish
    assert texts.count() == 1 and texts.first.get_attribute("lang") == "es"
    [call] = calls(app)
    assert call.queue_result == "leave" and call.queue_left_at is not None


def test_hanging_up_ends_the_call_as_twilio_would(app, live_server, page, open_hours):
    dial(page, live_server, "fr")
    press(page, "2")
    with page.expect_navigation():
        page.locator("button.hangup").click()
    assert page.locator(".ended").inner_text() == "L'appel est terminé."
    assert page.locator("form.keypad").count() == 0
    assert page.locator(".heard li").count() == 0  # no prompt left standing
    [call] = calls(app)
    assert call.ended_at is not None and call.status == "completed"
    assert call.outcome == "self_service"


def test_hanging_up_in_the_queue_leaves_no_caller_waiting(app, live_server, page, open_hours):
    dial(page, live_server, "fr")
    press(page, "2")
    press(page, "0")
    assert page.locator("audio.hold").count() == 1
    with page.expect_navigation():
        page.locator("button.hangup").click()
    [call] = calls(app)
    assert call.queue_left_at is not None and call.ended_at is not None
    assert call.outcome == "abandoned"


def test_keys_typed_then_left_alone_are_sent_when_the_prompt_times_out(
    app, live_server, page, open_hours
):
    dial(page, live_server, "fr")
    press(page, "2")
    press(page, "2")
    timeout = int(page.locator("form.keypad").get_attribute("data-timeout"))
    with page.expect_navigation(timeout=(timeout + 5) * 1000):
        for key in "1234":  # no #: the caller stops typing, as Twilio's timeout ends the entry
            page.locator(f".keys button[value='{key}']").click()
    assert "dix chiffres" in heard(page)  # the four keys went as one entry, too short
