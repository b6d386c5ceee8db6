"""The caller's story on the ticket page in Chromium, in French and in Arabic (right to left)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from helpers import walk_to_main_menu

from centre.extensions import db
from tickets.models import Ticket

pytestmark = pytest.mark.browser


def one_rich_call(call, clock) -> None:  # type: ignore[no-untyped-def]
    """A French caller asks the guide, has the answer texted, complains, queues, books a callback."""
    phone = call(caller="+33611223344")
    walk_to_main_menu(phone, "fr")
    phone.press("1")
    phone.speak("je dois renouveler mon passeport biométrique")
    clock.shift(40)
    phone.press("3")
    clock.shift(20)
    phone.press("*")
    phone.press("9")  # back to the main menu
    phone.press("3")
    phone.press("1")
    phone.leave_message()
    phone.recording_ready()
    phone.press("0")
    phone.hold(waited=90)
    clock.shift(95)
    phone.press("1")
    phone.left()
    phone.press("1")  # a reminder by text, please
    clock.shift(15)
    phone.hang_up(duration=240)


@pytest.mark.parametrize(
    ("locale", "direction", "words"),
    [
        # The caller's words are an isolate of their own (FSI ... PDI) in the agent's sentence.
        ("fr", "ltr", "a dit « \u2068je dois renouveler mon passeport biométrique\u2069 »"),
        ("ar", "rtl", "قال: «\u2068je dois renouveler mon passeport biométrique\u2069»"),
    ],
)
def test_the_ticket_page_tells_the_callers_story_in_the_agents_language(
    app,
    call,
    guide,
    open_hours,
    live_server,
    page,
    make_user,
    screenshots,
    locale,
    direction,
    words,
    time_machine,
):  # type: ignore[no-untyped-def]
    one_rich_call(call, time_machine)
    with app.app_context():
        ticket_id = db.session.scalar(sa.select(Ticket.id))
    agent = make_user("agent", "fr", locale=locale)
    page.set_viewport_size({"width": 1100, "height": 900})
    page.goto(f"{live_server}/tickets/{ticket_id}")
    page.fill("input[name=email]", agent.email)
    page.fill("input[name=password]", agent.password)
    page.locator("form.stacked button[type=submit]").click()
    page.wait_for_url(f"{live_server}/tickets/{ticket_id}")
    assert page.locator("html").get_attribute("dir") == direction
    story = page.locator("#story").inner_text()
    assert words in story
    for internal in ("guide_answer", "escalated_call", "{", "\\u00e9"):
        assert internal not in page.locator("main").inner_text()
    page.screenshot(path=str(screenshots / f"ticket-story-{locale}.png"), full_page=True)
