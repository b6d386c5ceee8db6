"""Supervisors run the centre from pages that change the same data as the shell commands."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from helpers import post_form

from centre.calendar import Closure, Holiday, OpeningHours
from centre.clock import CENTRE_TZ
from centre.extensions import db
from centre.languages import CODES
from centre.messaging import OutboundMessage
from staff.models import AuditEntry
from tickets import callbacks
from tickets.models import Callback


def audit_actions(app) -> list[str]:  # type: ignore[no-untyped-def]
    """Return the actions in the audit log, oldest first."""
    with app.app_context():
        return list(db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))


def test_a_closure_over_booked_callbacks_shows_the_moves_then_moves_and_texts_on_confirm(
    app, log_in, open_hours
):
    with app.app_context():
        for n in range(3):
            callbacks.book(f"+3361234567{n}", "fr", "k", datetime(2026, 12, 1, 9, tzinfo=CENTRE_TZ))
        db.session.commit()
        booked = sorted(db.session.scalars(sa.select(Callback.scheduled_at)))
    client = log_in("supervisor", "", locale="en")
    form = {
        "starts": "2026-12-01T10:00",
        "ends": "2026-12-01T14:00",
        "kind": "closure",
        "reason": "Strike",
    }
    shown = post_form(client, "/centre/closures", form)
    page = shown.get_data(as_text=True)
    assert shown.status_code == 200
    assert "This closure moves 3 booked callbacks" in page
    with app.app_context():  # nothing changed yet
        assert sorted(db.session.scalars(sa.select(Callback.scheduled_at))) == booked
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Closure)) == 0
    done = post_form(client, "/centre/closures", {**form, "confirm": "1"})
    assert done.status_code == 302
    with app.app_context():
        moved = sorted(db.session.scalars(sa.select(Callback.scheduled_at)))
        # The first slot after the closure, with room for all three (stored as naive UTC;
        # 14:00 in Casablanca is 14:00 UTC).
        assert moved == [datetime(2026, 12, 1, 14, 0)] * 3
        texts = db.session.scalars(
            sa.select(OutboundMessage).where(OutboundMessage.purpose == "callback_moved")
        ).all()
        assert len(texts) == 3
        closure_id = db.session.scalar(sa.select(Closure.id))
    assert "centre.closure_add" in audit_actions(app)
    # The strike is called off: the callers were told 14:00, so nobody is rung earlier.
    removed = post_form(
        client, f"/centre/closures/{closure_id}/remove", {}, page="/centre/closures"
    )
    assert removed.status_code == 302
    with app.app_context():
        assert sorted(db.session.scalars(sa.select(Callback.scheduled_at))) == moved
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboundMessage)) == 3


def test_a_closure_leaving_booked_callbacks_no_time_is_refused_and_changes_nothing(
    app, log_in, open_hours
):
    with app.app_context():
        callbacks.book("+33612345670", "fr", "k", datetime(2026, 12, 1, 11, tzinfo=CENTRE_TZ))
        db.session.commit()
        booked = db.session.scalar(sa.select(Callback.scheduled_at))
    client = log_in("supervisor", "", locale="en")
    # Closed from now until past the 60-day booking horizon: the callback has nowhere to go.
    form = {
        "starts": "2026-12-01T10:00",
        "ends": "2027-03-01T08:00",
        "kind": "closure",
        "reason": "Move",
        "confirm": "1",
    }
    refused = post_form(client, "/centre/closures", form)
    assert refused.status_code == 422
    assert "would find no free time within the booking horizon" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Closure)) == 0
        assert db.session.scalar(sa.select(Callback.scheduled_at)) == booked
        assert not db.session.scalars(sa.select(OutboundMessage)).all()


def test_the_shell_refuses_a_closure_leaving_booked_callbacks_no_time(app, runner, open_hours):
    with app.app_context():
        callbacks.book("+33612345670", "fr", "k", datetime(2026, 12, 1, 11, tzinfo=CENTRE_TZ))
        db.session.commit()
    result = runner.invoke(args=["calendar", "close", "2026-12-01T10:00", "2027-03-01T08:00"])
    assert result.exit_code != 0 and "nothing changed" in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Closure)) == 0


def test_a_closure_that_moves_nothing_is_added_at_once(app, log_in, open_hours):
    client = log_in("supervisor", "", locale="en")
    form = {"starts": "2026-12-24T14:00", "ends": "2026-12-24T20:00", "kind": "maintenance"}
    assert post_form(client, "/centre/closures", form).status_code == 302
    page = client.get("/centre/closures").get_data(as_text=True)
    assert "Maintenance" in page
    refused = post_form(client, "/centre/closures", {**form, "ends": "2026-12-24T10:00"})
    assert refused.status_code == 422
    assert "The end must come after the start." in refused.get_data(as_text=True)


def test_a_closure_of_an_unknown_kind_is_refused_for_what_it_is(app, log_in, open_hours):
    client = log_in("supervisor", "", locale="en")
    form = {"starts": "2026-12-24T14:00", "ends": "2026-12-24T20:00", "kind": "holiday"}
    refused = post_form(client, "/centre/closures", form)
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "Choose a closure or a maintenance window." in page
    assert "The end must come after the start." not in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Closure)) == 0


def test_the_callbacks_a_change_moves_are_counted_in_the_page_language(app, log_in, open_hours):
    with app.app_context():
        callbacks.book("+33612345670", "fr", "k", datetime(2026, 12, 1, 9, tzinfo=CENTRE_TZ))
        db.session.commit()
    form = {"starts": "2026-12-01T10:00", "ends": "2026-12-01T14:00", "kind": "closure"}
    english = log_in("supervisor", "", locale="en")
    shown = post_form(english, "/centre/closures", form).get_data(as_text=True)
    assert "This closure moves 1 booked callback; its caller will be sent a text" in shown
    french = log_in("supervisor", "", locale="fr")
    done = post_form(french, "/centre/closures", {**form, "confirm": "1"})
    assert done.status_code == 302
    page = french.get("/centre/closures").get_data(as_text=True)
    assert "Enregistré. 1 rappel déplacé ; son appelant a reçu un SMS." in page


def test_opening_hours_are_changed_from_the_page_and_logged(app, log_in):
    client = log_in("admin", "", locale="en")
    form = {f"opens_{d}": "08:00" for d in range(7)} | {f"closes_{d}": "20:00" for d in range(7)}
    form |= {"opens_5": "09:00", "closes_5": "13:00", "closed_6": "1"}
    assert post_form(client, "/centre/hours", form).status_code == 302
    with app.app_context():
        saturday = db.session.get(OpeningHours, 5)
        assert (f"{saturday.opens:%H:%M}", f"{saturday.closes:%H:%M}") == ("09:00", "13:00")
        assert db.session.get(OpeningHours, 6) is None
    assert audit_actions(app).count("centre.hours") == 1
    wrong = post_form(client, "/centre/hours", {**form, "closes_5": "08:00"})
    assert wrong.status_code == 422
    assert "must close after it opens" in wrong.get_data(as_text=True)


def test_an_estimated_islamic_holiday_is_moved_with_its_other_days(app, log_in):
    with app.app_context():
        eid = db.session.scalars(
            sa.select(Holiday)
            .where(Holiday.seed_key.like("2027:Eid al-Fitr:%"))
            .order_by(Holiday.day)
        ).all()
        first_id, first_day = eid[0].id, eid[0].day
    client = log_in("supervisor", "", locale="en")
    assert "Estimated" in client.get("/centre/holidays?year=2027").get_data(as_text=True)
    new_day = first_day.replace(day=first_day.day + 1)
    post_form(
        client,
        f"/centre/holidays/{first_id}",
        {"day": new_day.isoformat()},
        page="/centre/holidays?year=2027",
    )
    with app.app_context():
        moved = db.session.scalars(
            sa.select(Holiday)
            .where(Holiday.seed_key.like("2027:Eid al-Fitr:%"))
            .order_by(Holiday.day)
        ).all()
        assert moved[0].day == new_day and all(h.confirmed for h in moved)
        assert (moved[-1].day - moved[0].day) == (eid[-1].day - eid[0].day)
    assert "centre.holiday" in audit_actions(app)


def test_a_notice_needs_all_seven_texts_and_is_heard_in_the_preview(app, log_in):
    client = log_in("supervisor", "", locale="en")
    texts = {f"text_{code}": f"Notice {code}" for code in CODES}
    form = {"starts": "2026-12-01T00:00", "ends": "2026-12-10T00:00", "countries": "fr", **texts}
    missing = post_form(client, "/centre/notices", {**form, "text_nl": " "})
    assert missing.status_code == 422
    assert "all seven languages" in missing.get_data(as_text=True)
    assert post_form(client, "/centre/notices", form).status_code == 302
    assert "centre.notice_add" in audit_actions(app)
    # Thursday 3 December 2026 at 19:30 the centre is open: the notice only.
    page = client.get("/centre/preview?country=FR&language=fr&at=2026-12-03T19:30").get_data(
        as_text=True
    )
    assert "A caller to the France number at 19:30 on December 3, 2026" in page
    assert "<li>Notice fr</li>" in page
    assert "disponibles" not in page
    # At 20:30 it is closed: the notice, then when agents are back, in French.
    page = client.get("/centre/preview?country=FR&language=fr&at=2026-12-03T20:30").get_data(
        as_text=True
    )
    assert "<li>Notice fr</li>" in page
    assert (
        "Nos conseillers seront de nouveau disponibles le vendredi 4 décembre 2026 à 08:00" in page
    )
    assert "<li>Soit 09:00, heure locale.</li>" in page  # Paris is an hour ahead
    page = client.get("/centre/preview?country=GB&language=en&at=2026-12-03T20:30").get_data(
        as_text=True
    )
    assert (
        "your time" not in page and "Moroccan time" in page
    )  # London keeps Morocco's offset in December
    # The notice is scoped to France: a caller to the Spanish number does not hear it.
    page = client.get("/centre/preview?country=ES&language=es&at=2026-12-03T19:30").get_data(
        as_text=True
    )
    assert "Notice" not in page
    assert client.get("/centre/preview?at=tomorrow").status_code == 400
