"""The caller's own time: said whenever their number pins it, for the opening time and callbacks."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from helpers import walk_to_main_menu

from centre import calendar, phones
from centre.extensions import db
from centre.messaging import OutboundMessage
from tickets import callbacks

ITALIAN_MOBILE = "+393471234567"  # Europe/Rome or Europe/Vatican: one clock
SPANISH_MOBILE = "+34612345678"  # Europe/Madrid or Atlantic/Canary: an hour apart
UK_MOBILE = "+447911123456"  # London, Guernsey, Jersey or the Isle of Man: one clock


def _book_a_callback(app, call, caller: str, code: str = "en"):  # type: ignore[no-untyped-def]
    """Dial while the centre is closed, hear the opening, ask for a callback; return both turns."""
    phone = call(caller=caller)
    welcome = walk_to_main_menu(phone, code)
    phone.press("0")
    booked = phone.press("1")
    assert booked.hangup
    with app.app_context():
        sms = db.session.scalars(sa.select(OutboundMessage.body)).all()
    assert len(sms) == 1
    return welcome, booked, sms[0]


def test_an_italian_mobile_hears_and_reads_its_own_time(app, call, closed_hours):
    welcome, booked, sms = _book_a_callback(app, call, ITALIAN_MOBILE)
    # Saturday: back on Monday 7 December at 08:00 in Casablanca (UTC+0), 09:00 in Rome.
    assert "08:00, Moroccan time. That is 09:00 your time." in welcome.text
    assert (
        "An agent will call you back on Monday, 7 December 2026 at 08:00, Moroccan time. "
        "That is 09:00 your time."
    ) in booked.text
    assert "(Moroccan time), that is Monday, 7 December 2026 at 09:00 your time." in sms


def test_an_italian_mobile_reads_its_own_time_in_its_language(app, call, closed_hours):
    _, booked, sms = _book_a_callback(app, call, ITALIAN_MOBILE, code="it")
    assert "Cioè alle 09:00, ora locale." in booked.text
    assert "cioè lunedì 7 dicembre 2026 alle 09:00, ora locale" in sms


def test_a_uk_mobile_hears_its_own_time_when_london_is_an_hour_ahead(app, call, time_machine):
    # Saturday 5 June 2027, 11:00 in Casablanca (UTC+0): London keeps summer time (UTC+1).
    time_machine.move_to("2027-06-05T11:00:00+00:00", tick=False)
    welcome, booked, sms = _book_a_callback(app, call, UK_MOBILE)
    assert "Monday, 7 June 2027 at 08:00, Moroccan time. That is 09:00 your time." in welcome.text
    assert "08:00, Moroccan time. That is 09:00 your time." in booked.text
    assert "that is Monday, 7 June 2027 at 09:00 your time" in sms


def test_a_moroccan_mobile_in_summer_hears_moroccan_time_only(app, call, time_machine):
    # The numbering data files Moroccan numbers under the Canaries, an hour ahead in summer.
    time_machine.move_to("2027-06-05T11:00:00+00:00", tick=False)
    welcome, booked, sms = _book_a_callback(app, call, "+212612345678", code="fr")
    assert "08:00, heure marocaine" in welcome.text and "heure locale" not in welcome.text
    assert "heure locale" not in booked.text and "heure locale" not in sms


def test_a_uk_mobile_in_winter_hears_moroccan_time_only(app, call, closed_hours):
    welcome, booked, sms = _book_a_callback(app, call, UK_MOBILE)
    # London and Casablanca both keep UTC+0 in December: one time is enough.
    assert "08:00, Moroccan time" in welcome.text and "your time" not in welcome.text
    assert "your time" not in booked.text and "your time" not in sms


def test_a_spanish_mobile_may_be_in_the_canaries_so_hears_moroccan_time_only(
    app, call, closed_hours
):
    welcome, booked, sms = _book_a_callback(app, call, SPANISH_MOBILE, code="es")
    assert "hora de Marruecos" in welcome.text and "hora local" not in welcome.text
    assert "hora local" not in booked.text and "hora local" not in sms


def test_a_callback_on_the_next_day_for_the_caller_gives_their_date(app, call, time_machine):
    # Tuesday 19:00 in Casablanca with every agent busy: the callback is that evening, which is
    # already Wednesday in Tokyo.
    time_machine.move_to("2026-12-01T19:00:00+00:00", tick=False)
    app.config["QUEUE_MAX_LENGTH"] = 0
    _, booked, sms = _book_a_callback(app, call, "+819012345678")
    with app.app_context():
        when = db.session.scalar(sa.select(callbacks.Callback.scheduled_at))
    assert when.replace(tzinfo=UTC) == datetime(2026, 12, 1, 19, 0, tzinfo=UTC)
    assert "That is Wednesday, 2 December 2026 at 04:00 your time." in booked.text
    assert "that is Wednesday, 2 December 2026 at 04:00 your time" in sms


def test_a_moved_callback_is_texted_in_the_callers_time(app, call, closed_hours):
    _book_a_callback(app, call, ITALIAN_MOBILE)
    with app.app_context():
        # Monday 7 December is closed after all: the callback moves to Tuesday 08:00.
        db.session.add(
            calendar.Closure(starts_at=datetime(2026, 12, 7), ends_at=datetime(2026, 12, 8))
        )
        db.session.flush()
        callbacks.reschedule()
        db.session.commit()
        bodies = db.session.scalars(
            sa.select(OutboundMessage.body).where(OutboundMessage.purpose == "callback_moved")
        ).all()
    assert len(bodies) == 1
    assert "that is Tuesday, 8 December 2026 at 09:00 your time" in bodies[0]


@pytest.mark.parametrize(
    ("zones", "pinned"),
    [
        ("Europe/Rome Europe/Vatican", "Europe/Rome"),
        ("Atlantic/Canary Europe/Madrid", None),
        ("Europe/Paris", "Europe/Paris"),
        (None, None),
        ("", None),
    ],
)
def test_a_number_pins_a_zone_only_when_its_candidates_tell_one_time(zones, pinned):
    found = phones.local_zone(zones, datetime(2026, 12, 7, 8, tzinfo=UTC))
    assert (found.key if found else None) == pinned
