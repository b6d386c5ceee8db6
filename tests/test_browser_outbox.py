"""The messages not delivered, in real headless Chromium: French, and Arabic right to left."""

from __future__ import annotations

from datetime import datetime

import pytest
from test_browser_desk import log_in_page
from test_outbox_page import outbox_row

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("locale", ["fr", "ar"])
def test_the_messages_not_delivered_read_in_the_supervisors_language(
    app, live_server, page, make_user, time_machine, screenshots, locale
):
    time_machine.move_to("2026-12-01T10:00:00+00:00", tick=True)
    outbox_row(app, status="undelivered", error_code="30006")
    outbox_row(
        app,
        status="check",
        channel="call",
        purpose="callback",
        to_number="+212600000001",
        created_at=datetime(2026, 12, 1, 9, 30),
    )
    supervisor = make_user("supervisor", "", locale=locale)
    log_in_page(page, live_server, supervisor.email, supervisor.password, path="/reports/messages/")
    rows = page.locator("table.messages tbody tr")
    assert rows.count() == 2
    page.screenshot(path=str(screenshots / f"messages-{locale}.png"), full_page=True)
    if locale == "ar":
        assert page.locator("html").get_attribute("dir") == "rtl"
        headers = page.locator("table.messages thead th")
        assert headers.first.bounding_box()["x"] > headers.nth(1).bounding_box()["x"]
        assert "خط ثابت" in rows.nth(1).inner_text()  # newest first
    else:
        assert "Une ligne fixe" in rows.nth(1).inner_text()  # newest first
    with page.expect_navigation():
        rows.nth(1).locator("button").click()
    assert page.locator("table.messages tbody tr").count() == 1
    assert page.locator("p.notice").count() == 1
    page.goto(f"{live_server}/reports/floor")
    assert (
        page.locator('[data-cell="outbox.failed_today"]').inner_text() == "2"
    )  # both stay today's failures
    page.screenshot(path=str(screenshots / f"floor-{locale}.png"), full_page=True)
