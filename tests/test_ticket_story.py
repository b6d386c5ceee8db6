"""The ticket tells the caller's story in the agent's language: no node names, codes or JSON."""

from __future__ import annotations

import re
from collections.abc import Callable
from html import unescape

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from helpers import post_form, walk_to_main_menu

from centre.extensions import db
from ivr.driver import PhoneCall
from ivr.flow import NODES
from tickets.models import Ticket

INTERNAL = re.compile(r"[{}]|\\u[0-9a-f]{4}|escalated_call|guide_answer|callback_offer")


def the_ticket(app: Flask) -> Ticket:
    """Return the only ticket."""
    with app.app_context():
        (ticket,) = db.session.scalars(sa.select(Ticket)).all()
        db.session.expunge(ticket)
        return ticket


def section(page: str, element_id: str) -> str:
    """Return the text of the list with this id, tags removed."""
    match = re.search(rf'<ol class="[^"]*" id="{element_id}">(.*?)</ol>', page, re.S)
    assert match, f"no #{element_id}"
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", match.group(1))).split())


def test_the_story_says_what_the_caller_said_heard_texted_waited_and_where_they_hung_up(
    app: Flask,
    call: Callable[..., PhoneCall],
    guide: None,
    open_hours: None,
    log_in: Callable[..., FlaskClient],
    time_machine,  # type: ignore[no-untyped-def]
) -> None:
    phone = call(caller="+33611223344")
    walk_to_main_menu(phone, "fr")
    phone.press("1")  # the guide
    phone.speak("je dois renouveler mon passeport biométrique")
    phone.press("3")  # text me this answer
    phone.press("0")  # an agent
    phone.hold(waited=200)
    time_machine.shift(200)
    phone.leave_queue("hangup", waited=200)
    phone.hang_up(duration=260)
    ticket = the_ticket(app)
    story = section(
        log_in("agent", "fr", locale="en").get(f"/tickets/{ticket.id}").get_data(as_text=True),
        "story",
    )
    assert "The caller chose French." in story
    assert "said “\u2068je dois renouveler mon passeport biométrique\u2069”" in story
    assert "Heard the guide's answer: \u2068Biometric passport\u2069" in story
    assert "Had this answer sent by text message: \u2068Biometric passport\u2069" in story
    assert "Main menu: key 1" in story
    assert (
        "Waited 3 minutes in the queue, then hung up." in story
        and "The caller hung up at: Queue for an agent" in story
    )
    assert not INTERNAL.search(story), story
    story_fr = section(
        log_in("agent", "fr", locale="fr").get(f"/tickets/{ticket.id}").get_data(as_text=True),
        "story",
    )
    assert "Menu principal : touche 1" in story_fr and "Guide consulaire" in story_fr


def test_the_callers_french_words_and_the_service_name_are_isolated_in_an_arabic_story(
    app: Flask,
    call: Callable[..., PhoneCall],
    guide: None,
    open_hours: None,
    log_in: Callable[..., FlaskClient],
) -> None:
    phone = call(caller="+33611223344")
    walk_to_main_menu(phone, "fr")
    phone.press("1")  # the guide
    phone.speak("je dois renouveler mon passeport biométrique")
    phone.press("0")  # an agent: the ticket the story is on
    phone.hold(waited=20)
    phone.leave_queue("hangup", waited=20)
    phone.hang_up(duration=60)
    ticket = the_ticket(app)
    page = log_in("agent", "fr", locale="ar").get(f"/tickets/{ticket.id}").get_data(as_text=True)
    story = section(page, "story")
    # Left to the Arabic sentence's direction, the French words would be read from the
    # wrong end with the quotes around them misplaced: each is its own isolate (FSI ... PDI).
    assert "قال: «\u2068je dois renouveler mon passeport biométrique\u2069»" in story
    assert re.search("استمع إلى جواب الدليل: \u2068[^\u2069]+\u2069", story), story
    assert 'dir="auto"' not in page[page.index('id="story"') :].split("</ol>")[0]


def test_every_place_of_the_phone_menu_has_a_name_in_words(app: Flask) -> None:
    from desk.story import PLACES

    assert set(NODES) <= set(PLACES)


def test_the_history_reads_as_words_not_json(
    app: Flask,
    call: Callable[..., PhoneCall],
    open_hours: None,
    log_in: Callable[..., FlaskClient],
) -> None:
    phone = call()
    walk_to_main_menu(phone, "fr")
    phone.press("3")
    phone.press("1")
    phone.leave_message()
    ticket = the_ticket(app)
    agent = log_in("agent", "fr", locale="en")
    path = f"/tickets/{ticket.id}"
    post_form(agent, f"{path}/assign", {"version": str(ticket.version), "to": "me"}, page=path)
    post_form(
        agent,
        f"{path}/save",
        {"version": str(ticket.version + 1), "status": "waiting", "note": "Asked the consulate"},
        page=path,
    )
    history = section(agent.get(path).get_data(as_text=True), "history")
    assert "status: New → Open" in history and "status: Open → Waiting" in history
    # What was done, then what it changed: the two never run together.
    assert "Status changed · status: Open → Waiting" in history
    assert "version" not in history and "note id" not in history
    assert not INTERNAL.search(history), history


def test_forgetting_a_caller_erases_the_words_they_said_from_the_story(
    app: Flask,
    call: Callable[..., PhoneCall],
    open_hours: None,
    runner,  # type: ignore[no-untyped-def]
    log_in: Callable[..., FlaskClient],
) -> None:
    phone = call(caller="+33612345678")
    walk_to_main_menu(phone, "fr")
    phone.speak("je veux faire une réclamation pour mon passeport")
    phone.press("1")
    phone.leave_message()
    ticket = the_ticket(app)
    other = call(caller="+33699887766")  # someone else, whose story stays
    walk_to_main_menu(other, "fr")
    other.speak("je veux faire une réclamation pour mon visa")
    other.press("1")
    other.leave_message()
    with app.app_context():
        theirs = db.session.scalar(sa.select(Ticket.id).where(Ticket.id != ticket.id))
    agent = log_in("agent", "fr", locale="en")
    assert "mon passeport" in agent.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    result = runner.invoke(args=["privacy", "anonymise", "+33 6 12 34 56 78"])
    assert result.exit_code == 0, result.output
    # Their four steps: the language, the words at the main menu, 1, the message.
    assert "call steps' story: 4" in result.output
    story = section(agent.get(f"/tickets/{ticket.id}").get_data(as_text=True), "story")
    assert "mon passeport" not in story and "Main menu: spoken answer" in story
    story = section(agent.get(f"/tickets/{theirs}").get_data(as_text=True), "story")
    assert "mon visa" in story
