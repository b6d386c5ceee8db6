"""Agents at the desk in real headless Chromium: log in, claim, note, resolve, conflicts, RTL."""

from __future__ import annotations

import pytest

from centre.extensions import db
from tickets import services

pytestmark = pytest.mark.browser


@pytest.fixture
def tickets_in(app):  # type: ignore[no-untyped-def]
    """Return a factory that opens a ticket in each given language; it returns the references."""

    def make(*codes: str) -> dict[str, str]:
        references = {}
        with app.app_context():
            for code in codes:
                ticket = services.open_ticket("complaint", code, "+33612345678", "k", country="FR")
                references[code] = ticket.reference
            db.session.commit()
        return references

    return make


@pytest.fixture
def new_page(browser):  # type: ignore[no-untyped-def]
    """Return a factory of pages, each in its own browser context, all closed after the test."""
    contexts = []

    def make():  # type: ignore[no-untyped-def]
        context = browser.new_context()
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def log_in_page(page, base: str, email: str, password: str, path: str = "/tickets/") -> None:  # type: ignore[no-untyped-def]
    """Open a desk page, get sent to the login form, log in, and land back on the page."""
    page.goto(f"{base}{path}")
    assert "/staff/login" in page.url
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.locator("form.stacked button[type=submit]").click()
    page.wait_for_url(f"{base}{path}")


def test_an_agent_logs_in_sees_their_languages_claims_notes_and_resolves(
    live_server, page, make_user, tickets_in
):
    references = tickets_in("fr", "ar", "de")
    agent = make_user("agent", "fr ar", locale="en")
    log_in_page(page, live_server, agent.email, agent.password)
    rows = page.locator("tr.ticket-row")
    assert rows.count() == 2
    assert {rows.nth(i).get_attribute("data-language") for i in range(2)} == {"fr", "ar"}
    assert references["de"] not in page.content()
    page.get_by_role("link", name=references["fr"]).click()
    page.get_by_role("button", name="Claim").click()
    assert page.locator("#assignee").inner_text() == agent.email
    page.fill("textarea[name=note]", "Caller wants a new appointment.")
    page.get_by_role("button", name="Save").click()
    assert "Caller wants a new appointment." in page.locator("ul.notes").inner_text()
    page.select_option("select[name=status]", "resolved")
    page.get_by_role("button", name="Save").click()
    assert "Write a resolution note" in page.locator(".error").inner_text()
    page.fill("textarea[name=note]", "Appointment booked for 3 December.")
    page.select_option("select[name=status]", "resolved")
    page.get_by_role("button", name="Save").click()
    assert page.locator("#status").inner_text() == "Resolved"


def test_the_second_agent_to_save_sees_the_first_agents_change(
    live_server, new_page, make_user, tickets_in
):
    reference = tickets_in("fr")["fr"]
    pages = []
    for _ in range(2):
        member = make_user("agent", "fr", locale="en")
        page = new_page()
        log_in_page(page, live_server, member.email, member.password)
        page.get_by_role("link", name=reference).click()
        pages.append((page, member))
    (first, first_member), (second, _) = pages
    first.fill("textarea[name=note]", "Waiting for the passport copy.")
    first.select_option("select[name=status]", "waiting")
    first.get_by_role("button", name="Save").click()
    assert first.locator("#status").inner_text() == "Waiting"
    second.fill("textarea[name=note]", "Closing: duplicate.")
    second.select_option("select[name=status]", "closed")
    second.get_by_role("button", name="Save").click()
    alert = second.locator("p.error").inner_text()
    assert "Someone else changed this ticket" in alert
    assert first_member.email in second.locator("section.conflict").inner_text()
    assert second.locator("textarea[name=note]").input_value() == "Closing: duplicate."
    assert second.locator("#status").inner_text() == "Waiting"


def test_an_arabic_agent_works_right_to_left(live_server, page, make_user, tickets_in):
    tickets_in("ar")
    agent = make_user("agent", "ar", locale="ar")
    log_in_page(page, live_server, agent.email, agent.password)
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("html").get_attribute("lang") == "ar"
    assert page.locator("h1").inner_text() == "التذاكر"
    # Laid out right to left: the first column starts at the right of the table.
    first = page.locator("table.queue th").first.bounding_box()
    last = page.locator("table.queue th").last.bounding_box()
    assert first["x"] > last["x"]


def test_a_forbidden_page_is_refused(live_server, page, make_user):
    agent = make_user("agent", "fr", locale="en")
    log_in_page(page, live_server, agent.email, agent.password)
    response = page.goto(f"{live_server}/staff/users")
    assert response.status == 403
    assert "You are not allowed to see this page." in page.content()
    assert response.headers["x-frame-options"] == "DENY"
