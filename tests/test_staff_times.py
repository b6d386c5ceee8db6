"""Staff pages show stored times in Moroccan time, the zone every rule of the centre uses."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from helpers import post_form

from centre.clock import CENTRE_TZ, to_storage
from centre.extensions import db
from centre.formatting import page_datetime, page_time, spoken_time
from tickets import services


@pytest.mark.parametrize(
    ("at", "locale", "shown"),
    [
        ("2026-12-03T19:30", "fr", "19:30"),  # winter
        ("2026-12-03T19:30", "en", "7:30\u202fPM"),  # English writes it its own way
        ("2027-02-20T19:30", "de", "19:30"),  # during Ramadan 2027
        ("2027-06-15T19:30", "nl", "19:30"),  # summer
    ],
)
def test_a_time_of_19_30_in_morocco_shows_as_19_30_on_every_staff_page(
    app, log_in, time_machine, at, locale, shown
):
    moment = datetime.fromisoformat(at).replace(tzinfo=CENTRE_TZ)
    time_machine.move_to(moment, tick=False)
    with app.app_context():
        ticket = services.open_ticket("complaint", "fr", "+33612345678", "k", at=moment)
        db.session.commit()
        ticket_id = ticket.id
    supervisor = log_in("supervisor", "fr", locale=locale)
    # A closure typed in Moroccan time and listed back; a ticket received and logged at 19:30.
    day = at[:10]
    form = {"starts": f"{day}T19:30", "ends": f"{day}T21:00", "kind": "maintenance"}
    assert post_form(supervisor, "/centre/closures", form).status_code == 302
    closures = supervisor.get("/centre/closures").get_data(as_text=True)
    assert f"{shown}</td>" in closures
    queue = supervisor.get("/tickets/").get_data(as_text=True)
    assert f"{shown}</td>" in queue
    page = supervisor.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert f"{shown}</dd>" in page
    audit = log_in("admin", "", locale=locale).get("/staff/audit").get_data(as_text=True)
    assert f"{shown}</td>" in audit
    for shifted in ("18:30", "20:30", "6:30\u202fPM", "8:30\u202fPM"):
        assert shifted not in closures + queue + page + audit


def test_the_staff_filters_and_what_callers_hear_agree_on_an_instant(app):
    moment = datetime(2026, 12, 3, 19, 30, tzinfo=CENTRE_TZ)
    stored = to_storage(moment)
    assert stored.tzinfo is None
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        assert page_time(stored) == page_time(moment.astimezone(UTC)) == "19:30"
        assert page_datetime(stored).endswith("19:30")
        rendered = app.jinja_env.from_string("{{ t|staff_datetime }} / {{ m|centre_moment }}")
        assert rendered.render(t=stored, m=moment).count("19:30") == 2
    assert spoken_time(moment, "fr", CENTRE_TZ) == "19:30"
