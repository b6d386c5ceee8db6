"""Supervisors in real headless Chromium: the dashboard and its CSV, a closure over callbacks."""

# ruff: noqa: F811  (the fixtures imported from test_reports)

from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect
from test_browser_desk import log_in_page
from test_reports import known_data, record_call  # noqa: F401

from centre.clock import CENTRE_TZ
from centre.extensions import db
from centre.messaging import OutboundMessage
from tickets import callbacks
from tickets.models import Callback

pytestmark = pytest.mark.browser


def test_a_supervisor_shows_a_period_and_downloads_a_table_as_csv(
    live_server, page, make_user, known_data
):
    supervisor = make_user("supervisor", "", locale="en")
    log_in_page(page, live_server, supervisor.email, supervisor.password, path="/reports/")
    page.fill("input[name=from]", "2026-12-01")
    page.fill("input[name=to]", "2026-12-03")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**/reports/?from=2026-12-01&to=2026-12-03")
    page.locator("#calls-per-day details summary").click()  # the table is folded under its chart
    day_rows = page.locator("table[data-figure=calls-per-day] tbody tr")
    assert day_rows.count() == 3
    assert day_rows.nth(1).locator("td").all_inner_texts() == [
        "2026-12-02",
        "1",
        "2",
        "0",
        "0",
        "3",
    ]
    assert page.locator("#calls-per-day svg.chart").count() == 1
    with page.expect_download() as download:
        page.locator("#calls-per-day a.csv").click()
    assert download.value.suggested_filename == "calls-per-day-2026-12-01-2026-12-03.csv"
    with open(download.value.path(), encoding="utf-8-sig") as exported:  # a byte-order mark first
        rows = list(csv.reader(io.StringIO(exported.read())))
    assert rows == [
        [
            "Day",
            "Self-service only",
            "Escalated to a person",
            "Abandoned in the queue",
            "Other (failed, busy, unfinished)",
            "Total",
        ],
        ["2026-12-01", "1", "1", "1", "0", "3"],
        ["2026-12-02", "1", "2", "0", "0", "3"],
        ["2026-12-03", "0", "1", "0", "1", "2"],
    ]


def test_a_supervisor_closes_the_centre_over_booked_callbacks_after_seeing_what_moves(
    live_server, page, make_user, app, open_hours
):
    with app.app_context():
        for n in range(3):
            callbacks.book(f"+3361234567{n}", "fr", "k", datetime(2026, 12, 1, 9, tzinfo=CENTRE_TZ))
        db.session.commit()
        before = sorted(db.session.scalars(sa.select(Callback.scheduled_at)))
    supervisor = make_user("supervisor", "", locale="en")
    log_in_page(page, live_server, supervisor.email, supervisor.password, path="/centre/closures")
    page.fill("input[name=starts]", "2026-12-01T10:00")
    page.fill("input[name=ends]", "2026-12-01T14:00")
    page.fill("input[name=reason]", "Strike")
    page.get_by_role("button", name="Add", exact=True).click()
    confirm = page.locator("#confirm")
    assert "This closure moves 3 booked callbacks" in confirm.inner_text()
    expect(confirm.locator("li")).to_have_count(3)
    with app.app_context():  # nothing moved yet
        assert sorted(db.session.scalars(sa.select(Callback.scheduled_at))) == before
    page.get_by_role("button", name="Close and move the callbacks").click()
    page.wait_for_load_state()
    assert "Strike" in page.locator("table").inner_text()
    assert page.locator("#confirm").count() == 0
    with app.app_context():
        moved = sorted(db.session.scalars(sa.select(Callback.scheduled_at)))
        # The first slot after the strike, with room for all three: 14:00 Moroccan time (UTC+0
        # since 20 September 2026), stored as naive UTC.
        assert moved == [datetime(2026, 12, 1, 14, 0)] * 3
        texts = db.session.scalars(
            sa.select(OutboundMessage).where(OutboundMessage.purpose == "callback_moved")
        ).all()
        assert len(texts) == 3
