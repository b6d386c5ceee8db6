"""A person walks the phone menu in real headless Chromium."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser


def test_walking_the_menu_on_the_keypad_in_chromium(live_server, page):
    page.goto(f"{live_server}/try/?lang=en")
    page.select_option("select[name=to]", "+31800000000")
    page.get_by_role("button", name="Call").click()
    heard = page.locator(".heard li")
    assert heard.first.get_attribute("lang") == "nl"  # the Dutch number: Dutch first
    page.locator(".keys button[value='7']").click()
    page.locator(".keys button[value='3']").click()
    page.locator(".keys button[value='2']").click()
    page.get_by_role("button", name="Leave a message").click()
    assert re.search(r"(\d, ){8}\d", page.locator(".heard").inner_text())


def test_the_page_is_right_to_left_in_arabic(live_server, page):
    page.goto(f"{live_server}/try/?lang=ar")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("html").get_attribute("lang") == "ar"
    page.goto(f"{live_server}/try/?lang=fr")
    assert page.locator("html").get_attribute("dir") == "ltr"
