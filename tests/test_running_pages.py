"""Running the centre's pages as a supervisor reads them: holidays in their language, a holiday
added by form, a confirmation before anything is removed, the sub-menu saying where they are."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa
from helpers import post_form

from centre import calendar, clock, notices
from centre.extensions import db
from centre.languages import CODES


def test_holidays_read_in_the_readers_language(app, log_in, open_hours):
    french = log_in("supervisor", "", locale="fr").get("/centre/holidays?year=2026")
    text = french.get_data(as_text=True)
    assert "Fête du Travail" in text and "Fête du Trône" in text
    assert "Fête de la rupture du jeûne" in text
    assert "Labor Day" not in text and "Throne Day" not in text and "Eid al-Fitr" not in text
    arabic = log_in("supervisor", "", locale="ar").get("/centre/holidays?year=2026")
    assert "عيد العرش" in arabic.get_data(as_text=True) and "عيد الفطر" in arabic.get_data(
        as_text=True
    )


def test_a_supervisor_adds_a_holiday_by_form_and_it_keeps_its_name(app, log_in, open_hours):
    client = log_in("supervisor", "", locale="fr")
    added = post_form(
        client,
        "/centre/holidays",
        {"day": "2026-12-24", "name": "Jour décrété"},
        page="/centre/holidays",
    )
    assert added.status_code == 302
    with app.app_context():
        holiday = db.session.scalars(
            sa.select(calendar.Holiday).where(calendar.Holiday.day == date(2026, 12, 24))
        ).one()
        assert holiday.name == "Jour décrété" and holiday.confirmed
        assert not calendar.availability(datetime(2026, 12, 24, 10, tzinfo=clock.CENTRE_TZ)).open
    assert "Jour décrété" in client.get("/centre/holidays?year=2026").get_data(as_text=True)
    nameless = post_form(
        client, "/centre/holidays", {"day": "2026-12-25", "name": " "}, page="/centre/holidays"
    )
    assert nameless.status_code == 302
    with app.app_context():
        assert (
            db.session.scalars(
                sa.select(calendar.Holiday).where(calendar.Holiday.day == date(2026, 12, 25))
            ).first()
            is None
        )


def test_removing_a_closure_or_a_notice_asks_first(app, log_in, open_hours):
    moment = clock.now()
    with app.app_context():
        closure = calendar.Closure(
            kind="closure",
            starts_at=clock.to_storage(moment + timedelta(days=2)),
            ends_at=clock.to_storage(moment + timedelta(days=3)),
            reason="Grève",
        )
        db.session.add(closure)
        notice = notices.add_notice(
            moment, moment + timedelta(days=2), {code: f"Avis {code}" for code in CODES}
        )
        db.session.commit()
        closure_id, notice_id = closure.id, notice.id
    client = log_in("supervisor", "", locale="fr")
    listed = client.get("/centre/closures").get_data(as_text=True)
    assert f'href="/centre/closures/{closure_id}/remove"' in listed
    asked = client.get(f"/centre/closures/{closure_id}/remove").get_data(as_text=True)
    assert "Supprimer cette fermeture ?" in asked and "Grève" in asked
    with app.app_context():
        assert db.session.get(calendar.Closure, closure_id) is not None  # asking removes nothing
    post_form(
        client,
        f"/centre/closures/{closure_id}/remove",
        {},
        page=f"/centre/closures/{closure_id}/remove",
    )
    asked = client.get(f"/centre/notices/{notice_id}/remove").get_data(as_text=True)
    assert "Supprimer cet avis ?" in asked and "Avis fr" in asked
    post_form(
        client,
        f"/centre/notices/{notice_id}/remove",
        {},
        page=f"/centre/notices/{notice_id}/remove",
    )
    with app.app_context():
        assert db.session.get(calendar.Closure, closure_id) is None
        assert db.session.get(notices.Notice, notice_id) is None


def test_the_sub_menu_says_which_page_is_open(app, log_in, open_hours):
    page = log_in("supervisor", "", locale="en").get("/centre/closures").get_data(as_text=True)
    assert '<a href="/centre/closures" aria-current="page">' in page
    assert '<a href="/centre/holidays" aria-current' not in page
