"""The dashboard in real headless Chromium, in Arabic: charts mirrored, no text over a bar or a text."""

# ruff: noqa: F811  (the fixtures imported from test_reports)

from __future__ import annotations

import pytest
from test_browser_desk import log_in_page
from test_reports import PERIOD, known_data, record_call  # noqa: F401

pytestmark = pytest.mark.browser

BOXES = "els => els.map(e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })"
SLACK = 0.5  # pixels two neighbours may share at their edges


def overlap(a: list[float], b: list[float]) -> bool:
    """Tell whether two boxes (left, top, right, bottom) cover a common area."""
    return (min(a[2], b[2]) - max(a[0], b[0]) > SLACK) and (
        min(a[3], b[3]) - max(a[1], b[1]) > SLACK
    )


@pytest.mark.parametrize("locale", ["ar", "fr"])
def test_no_chart_draws_a_label_over_a_bar_or_another_label_nor_outside_itself(
    live_server, page, make_user, known_data, locale
):
    supervisor = make_user("supervisor", "", locale=locale)
    path = f"/reports/?from={PERIOD['from']}&to={PERIOD['to']}"
    log_in_page(page, live_server, supervisor.email, supervisor.password, path=path)
    assert page.locator("html").get_attribute("dir") == ("rtl" if locale == "ar" else "ltr")
    charts = page.locator("svg.chart")
    assert charts.count() == 11
    for index in range(charts.count()):
        chart = charts.nth(index)
        frame = chart.bounding_box()
        texts = chart.locator("text").evaluate_all(BOXES)
        bars = chart.locator("rect").evaluate_all(BOXES)
        for n, text in enumerate(texts):
            assert frame["x"] - SLACK <= text[0] and text[2] <= frame["x"] + frame["width"] + SLACK
            assert text[3] <= frame["y"] + frame["height"] + SLACK  # a legend is never clipped
            for other in texts[n + 1 :]:
                assert not overlap(text, other), (index, text, other)
            for bar in bars:
                assert not overlap(text, bar), (index, text, bar)


def test_arabic_charts_read_from_right_to_left(live_server, page, make_user, known_data):
    supervisor = make_user("supervisor", "", locale="ar")
    path = f"/reports/?from={PERIOD['from']}&to={PERIOD['to']}"
    log_in_page(page, live_server, supervisor.email, supervisor.password, path=path)
    languages = page.locator("#calls-per-language svg.chart")
    label = languages.locator("text").first.bounding_box()
    bar = languages.locator("rect").first.bounding_box()
    assert label["x"] > bar["x"] + bar["width"]  # the name on the right, its bar to its left
    days = page.locator("#calls-per-day svg.chart text.tick").all_text_contents()
    first_day = page.locator("#calls-per-day svg.chart text.tick", has_text="12-01").bounding_box()
    last_day = page.locator("#calls-per-day svg.chart text.tick", has_text="12-03").bounding_box()
    assert "12-01" in days and first_day["x"] > last_day["x"]  # time runs right to left
    summary = page.locator("#calls-per-day details summary")
    assert summary.inner_text() == "الأرقام في جدول"
    assert page.locator("#calls-per-day table").is_hidden()
    summary.click()
    assert page.locator("#calls-per-day table").is_visible()
