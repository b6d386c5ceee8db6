"""The desk's queue page in headless Chromium: live without reloading, and telling the agent."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from centre.extensions import db
from tickets.models import Ticket

pytestmark = pytest.mark.browser

# Kept by the page: the notifications it shows (Chromium headless shows none of its own).
NOTIFICATIONS = """
window.shown = [];
window.Notification = function (title, options) { window.shown.push([title, options.body]); };
window.Notification.permission = "granted";
window.Notification.requestPermission = function () { return Promise.resolve("granted"); };
"""


def test_the_queue_counts_a_new_caller_without_reloading_and_tells_the_agent(
    app, live_server, browser, make_user, call, open_hours
):
    app.config["DESK_POLL_SECONDS"] = 1
    agent = make_user("agent", "fr ar", phone="+212600000002", locale="fr")
    context = browser.new_context()
    context.add_init_script(NOTIFICATIONS)
    page = context.new_page()
    try:
        page.goto(f"{live_server}/tickets/")
        page.fill("input[name=email]", agent.email)
        page.fill("input[name=password]", agent.password)
        page.locator("form.stacked button[type=submit]").click()
        page.wait_for_url(f"{live_server}/tickets/")
        page.get_by_role("button", name="Prendre des appels").click()
        page.wait_for_selector("text=Disponible pour les appels")
        assert page.locator("#waiting-count").inner_text() == "0"
        assert page.get_by_role("button", name="Prendre l'appelant suivant").is_disabled()
        page.evaluate("window.sameDocument = true")

        phone = call(caller="+33612340001")  # the driver puts a French caller in the queue
        phone.dial()
        phone.press("2")
        assert phone.press("0").enqueue["name"] == "agents-fr"

        expect(page.locator("#waiting-count")).to_have_text("1", timeout=10_000)
        assert page.evaluate("window.sameDocument") is True  # no reload
        with app.app_context():
            reference = db.session.scalars(
                db.select(Ticket.reference).where(Ticket.type == "escalated_call")
            ).one()
        assert reference in page.locator("#waiting-callers").inner_text()
        assert "Français" in page.locator("#waiting-callers").inner_text()
        assert page.evaluate("window.shown") == [
            ["Un appelant attend", "Un appelant dans l'une de vos langues attend un agent."]
        ]
        assert page.get_by_role("button", name="Prendre l'appelant suivant").is_enabled()

        # The caller hangs up: the count goes back down, still without a reload.
        phone.leave_queue("hangup")
        expect(page.locator("#waiting-count")).to_have_text("0", timeout=10_000)
        assert page.evaluate("window.sameDocument") is True
        assert page.locator("#waiting-callers li").count() == 0
    finally:
        context.close()


def test_the_arabic_queue_page_reads_right_to_left_and_offers_notifications(
    app, live_server, page, make_user, open_hours
):
    agent = make_user("agent", "ar", phone="+212600000003", locale="ar")
    page.goto(f"{live_server}/tickets/")
    page.fill("input[name=email]", agent.email)
    page.fill("input[name=password]", agent.password)
    page.locator("form.stacked button[type=submit]").click()
    page.wait_for_url(f"{live_server}/tickets/")
    page.get_by_role("button", name="تلقي المكالمات").click()
    page.wait_for_selector("#enable-notifications")
    assert page.evaluate("document.documentElement.dir") == "rtl"
    assert "المتصلون المنتظرون بلغاتك" in page.locator("#availability").inner_text()
