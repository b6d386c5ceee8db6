"""The wallboard in real headless Chromium, updating itself while the phone driver places calls."""

from __future__ import annotations

import pytest
from helpers import walk_to_main_menu
from playwright.sync_api import expect
from test_browser_desk import log_in_page

from reports import views

pytestmark = pytest.mark.browser


def test_the_wallboard_follows_a_caller_into_the_queue_and_out_without_reloading(
    live_server, page, make_user, call, open_hours, monkeypatch
):
    monkeypatch.setattr(views, "FLOOR_REFRESH_SECONDS", 1)
    supervisor = make_user("supervisor", "", locale="fr")
    make_user("agent", "fr", email="amina@example.org")
    log_in_page(page, live_server, supervisor.email, supervisor.password, path="/reports/floor")
    waiting = page.locator('[data-cell="fr.waiting"]')
    assert waiting.inner_text() == "0"
    assert page.locator(".calm").first.inner_text() == "Rien ne demande votre attention."
    page.evaluate("window.keptSinceLoad = true")

    phone = call(caller="+33612340001")
    walk_to_main_menu(phone, "fr")
    expect(page.locator('[data-cell="fr.stage.menu"]')).to_have_text("1")
    phone.press("0")  # asks for an agent: into the French queue
    expect(waiting).to_have_text("1")
    expect(page.locator('[data-cell="fr.stage.menu"]')).to_have_text("0")
    expect(page.locator("#alerts li")).to_have_text(
        ["Français : aucun agent disponible, appelants en attente : 1."]
    )
    assert page.locator(".alerts .calm").is_hidden()
    assert page.locator('[data-cell="calls"]').inner_text() == "1"

    phone.hang_up()  # gave up in the queue
    expect(waiting).to_have_text("0")
    expect(page.locator("#alerts li")).to_have_count(0)
    assert page.locator(".alerts .calm").is_visible()
    assert page.locator('[data-cell="abandonment"]').inner_text().startswith("100")
    assert page.evaluate("window.keptSinceLoad") is True  # updated in place, never reloaded
    agents = page.locator("#agents tr").all_inner_texts()
    assert len(agents) == 1 and "amina@example.org" in agents[0] and "Absent" in agents[0]


def test_the_arabic_wallboard_reads_right_to_left(live_server, page, make_user, open_hours):
    supervisor = make_user("supervisor", "", locale="ar")
    log_in_page(page, live_server, supervisor.email, supervisor.password, path="/reports/floor")
    assert page.locator("html").get_attribute("dir") == "rtl"
    table = page.locator('table[data-figure="languages"]')
    first_header = table.locator("thead th").first.bounding_box()
    second_header = table.locator("thead th").nth(1).bounding_box()
    assert first_header["x"] > second_header["x"]  # the language column is on the right
    assert page.locator("h1").inner_text() == "المتابعة المباشرة"
