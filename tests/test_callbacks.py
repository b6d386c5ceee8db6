"""Callbacks: booked in open hours, in the order callers asked, and moved with an SMS."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskCliRunner
from helpers import post_form

from centre import languages
from centre.calendar import Closure
from centre.clock import CENTRE_TZ, from_storage
from centre.extensions import db
from centre.formatting import spoken_date, spoken_time
from centre.messaging import OutboundMessage
from tickets import callbacks
from tickets.models import Callback, Ticket

TUESDAY = date(2026, 12, 1)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    """Return `day` at `hour:minute`, Moroccan time."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=CENTRE_TZ)


def slot_of(ticket: Ticket) -> datetime:
    """Return when the ticket's callback is booked, in Moroccan time."""
    db.session.refresh(ticket.callback)
    return from_storage(ticket.callback.scheduled_at).astimezone(CENTRE_TZ)


def sms_to(number: str) -> list[OutboundMessage]:
    """Return the SMS recorded for `number`, oldest first."""
    return list(
        db.session.scalars(
            sa.select(OutboundMessage)
            .where(OutboundMessage.to_number == number, OutboundMessage.channel == "sms")
            .order_by(OutboundMessage.id)
        )
    )


def assert_told_new_time(number: str, code: str, new: datetime) -> None:
    """Check `number` got exactly one SMS, in `code`, giving the date and time `new`."""
    messages = sms_to(number)
    assert len(messages) == 1, [m.body for m in messages]
    (message,) = messages
    locale = languages.get(code).babel_locale
    assert (message.status, message.purpose, message.language) == (
        "recorded",
        "callback_moved",
        code,
    )
    assert spoken_time(new, locale, CENTRE_TZ) in message.body
    assert spoken_date(new, locale, CENTRE_TZ) in message.body


@pytest.fixture
def book(app: Flask, time_machine) -> Callable[..., Ticket]:  # type: ignore[no-untyped-def]
    """Return a function booking a callback at a moment, for a caller who queued at another."""
    counter = iter(range(10, 100))

    def make(
        at: datetime,
        queued_at: datetime | None = None,
        language: str = "fr",
        number: str | None = None,
        source_key: str | None = None,
    ) -> Ticket:
        time_machine.move_to(at, tick=False)
        ticket = callbacks.book(
            number or f"+336123456{next(counter)}",
            language,
            app.config["PHONE_HASH_KEY"],
            queued_at or at,
            source_key=source_key,
        )
        db.session.commit()
        return ticket

    return make


def test_a_callback_asked_for_on_saturday_is_booked_at_monday_opening(
    app: Flask, book: Callable[..., Ticket]
) -> None:
    with app.app_context():
        ticket = book(local(date(2026, 12, 5), 11))
        assert slot_of(ticket) == local(date(2026, 12, 7), 8)


def test_a_callback_asked_for_after_closing_is_booked_at_the_next_morning_opening(
    app: Flask, book: Callable[..., Ticket]
) -> None:
    with app.app_context():
        ticket = book(local(TUESDAY, 19, 50))
        assert slot_of(ticket) == local(date(2026, 12, 2), 8)


def test_a_callback_is_never_booked_on_a_holiday(app: Flask, book: Callable[..., Ticket]) -> None:
    # Saturday 9 January 2027; Monday 11 January is Proclamation of Independence Day.
    with app.app_context():
        ticket = book(local(date(2027, 1, 9), 11))
        assert slot_of(ticket) == local(date(2027, 1, 12), 8)


def test_a_callback_is_never_booked_in_a_closure(
    app: Flask, runner: FlaskCliRunner, book: Callable[..., Ticket], time_machine
) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        time_machine.move_to(local(date(2026, 12, 5), 10), tick=False)
        result = runner.invoke(
            args=[
                "calendar",
                "close",
                "2026-12-07T07:30",
                "2026-12-07T09:10",
                "--kind",
                "maintenance",
            ]
        )
        assert result.exit_code == 0, result.output

        ticket = book(local(date(2026, 12, 5), 11))

        # The closure ends off the quarter-hour grid: the first whole slot after it.
        assert slot_of(ticket) == local(date(2026, 12, 7), 9, 15)


def test_slots_that_do_not_divide_an_hour_start_at_opening_and_keep_their_grid(
    app: Flask, make_app: Callable[..., Flask], runner: FlaskCliRunner, time_machine
) -> None:  # type: ignore[no-untyped-def]
    # 45-minute slots: 08:00, 08:45, 09:30, ... (counted from midnight they began at 08:15).
    worker = make_app(CALLBACK_SLOT_MINUTES=45)
    with worker.app_context():
        asked = local(date(2026, 12, 5), 11)
        time_machine.move_to(asked, tick=False)
        first = callbacks.book("+33612345601", "fr", worker.config["PHONE_HASH_KEY"], asked)
        db.session.commit()
        assert slot_of(first) == local(date(2026, 12, 7), 8)
        result = worker.test_cli_runner().invoke(
            args=["calendar", "close", "2026-12-08T07:30", "2026-12-08T09:10"]
        )
        assert result.exit_code == 0, result.output
        asked = local(date(2026, 12, 7), 19, 50)
        time_machine.move_to(asked, tick=False)
        after_closure = callbacks.book("+33612345602", "fr", worker.config["PHONE_HASH_KEY"], asked)
        db.session.commit()
        # The closure ends at 09:10: the next slot on the day's grid is 09:30.
        assert slot_of(after_closure) == local(date(2026, 12, 8), 9, 30)


def test_a_callback_asked_for_on_a_ramadan_saturday_is_booked_at_eight_moroccan_time(
    app: Flask, book: Callable[..., Ticket]
) -> None:
    with app.app_context():
        ticket = book(local(date(2027, 2, 13), 11))
        booked = slot_of(ticket)
    assert booked == local(date(2027, 2, 15), 8)
    assert booked == datetime(2027, 2, 15, 8, tzinfo=UTC)  # Moroccan time is UTC+0


def test_a_callback_during_opening_hours_is_booked_at_the_next_quarter_hour(
    app: Flask, book: Callable[..., Ticket]
) -> None:
    with app.app_context():
        ticket = book(local(TUESDAY, 10, 2))
        assert slot_of(ticket) == local(TUESDAY, 10, 15)


def test_a_callback_asked_for_between_two_seconds_is_booked_on_the_quarter_hour(
    app: Flask, book: Callable[..., Ticket]
) -> None:
    with app.app_context():
        first = book(local(TUESDAY, 10, 2).replace(second=31, microsecond=250000))
        second = book(local(TUESDAY, 10, 3).replace(second=7, microsecond=900000))
        assert slot_of(first) == slot_of(second) == local(TUESDAY, 10, 15)


def test_a_full_slot_spills_into_the_next_one(app: Flask, book: Callable[..., Ticket]) -> None:
    with app.app_context():
        assert app.config["CALLBACK_SLOT_CAPACITY"] == 4
        tickets = [book(local(TUESDAY, 10, 2)) for _ in range(5)]
        booked = [slot_of(ticket) for ticket in tickets]
    assert booked == [local(TUESDAY, 10, 15)] * 4 + [local(TUESDAY, 10, 30)]


def test_a_smaller_capacity_spills_sooner(app: Flask, book: Callable[..., Ticket]) -> None:
    app.config["CALLBACK_SLOT_CAPACITY"] = 2
    with app.app_context():
        tickets = [book(local(TUESDAY, 10, 2)) for _ in range(5)]
        booked = [slot_of(ticket) for ticket in tickets]
    assert booked == [local(TUESDAY, 10, 15)] * 2 + [local(TUESDAY, 10, 30)] * 2 + [
        local(TUESDAY, 10, 45)
    ]


def test_a_new_caller_never_goes_ahead_of_one_who_asked_before_even_into_a_freed_slot(
    app: Flask, book: Callable[..., Ticket]
) -> None:
    app.config["CALLBACK_SLOT_CAPACITY"] = 1
    with app.app_context():
        first, second = book(local(TUESDAY, 10, 1)), book(local(TUESDAY, 10, 2))
        assert [slot_of(first), slot_of(second)] == [local(TUESDAY, 10, 15), local(TUESDAY, 10, 30)]
        first.callback.state = "done"  # called back early: its slot is free again
        db.session.commit()
        third = book(local(TUESDAY, 10, 3))
        assert slot_of(third) == local(TUESDAY, 10, 45)
        assert slot_of(second) == local(TUESDAY, 10, 30)  # and nobody was moved for it
        assert sms_to(second.callback.number) == []


def test_the_last_slot_of_the_day_spills_into_the_next_morning(
    app: Flask, book: Callable[..., Ticket]
) -> None:
    with app.app_context():
        tickets = [book(local(TUESDAY, 19, 40)) for _ in range(5)]
        booked = [slot_of(ticket) for ticket in tickets]
    assert booked == [local(TUESDAY, 19, 45)] * 4 + [local(date(2026, 12, 2), 8)]


def test_callers_booking_at_the_same_moment_on_several_workers_never_overfill_a_slot(
    app: Flask, make_app: Callable[..., Flask], time_machine
) -> None:  # type: ignore[no-untyped-def]
    time_machine.move_to(local(TUESDAY, 10, 2), tick=False)
    workers = [make_app(CALLBACK_SLOT_CAPACITY=1) for _ in range(4)]
    start = threading.Barrier(len(workers))
    errors: list[Exception] = []

    def ring(worker: Flask, index: int) -> None:
        try:
            with worker.app_context():
                start.wait(timeout=60)  # a worker that never starts fails, never hangs
                for attempt in range(3):
                    callbacks.book(
                        f"+3361234{index}{attempt}00",
                        "fr",
                        worker.config["PHONE_HASH_KEY"],
                        local(TUESDAY, 10, 0),
                    )
                    db.session.commit()
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=ring, args=(w, i)) for i, w in enumerate(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a booking worker is stuck"

    assert errors == []
    with app.app_context():
        per_slot = Counter(db.session.scalars(sa.select(Callback.scheduled_at)))
    assert sum(per_slot.values()) == 12
    assert max(per_slot.values()) == 1


def test_a_caller_who_left_the_queue_is_called_back_before_those_who_queued_after(
    app: Flask, book: Callable[..., Ticket]
) -> None:
    app.config["CALLBACK_SLOT_CAPACITY"] = 2
    with app.app_context():
        early = book(local(TUESDAY, 10, 20), queued_at=local(TUESDAY, 9, 50), language="en")
        b = book(local(TUESDAY, 10, 21), queued_at=local(TUESDAY, 10, 5), language="nl")
        assert slot_of(early) == slot_of(b) == local(TUESDAY, 10, 30)  # now full

        a = book(local(TUESDAY, 10, 22), queued_at=local(TUESDAY, 10, 0), language="de")

        assert slot_of(early) == local(TUESDAY, 10, 30)  # queued before A: keeps the place
        assert slot_of(a) == local(TUESDAY, 10, 30)  # A takes B's place...
        assert slot_of(b) == local(TUESDAY, 10, 45)  # ...and B moves one slot on
        assert_told_new_time(b.callback.number, "nl", local(TUESDAY, 10, 45))
        assert sms_to(a.callback.number) == []
        assert sms_to(early.callback.number) == []


def test_a_caller_who_left_the_queue_shares_a_slot_with_room_without_moving_anyone(
    app: Flask, book: Callable[..., Ticket]
) -> None:
    with app.app_context():
        b = book(local(TUESDAY, 10, 21), queued_at=local(TUESDAY, 10, 5))
        a = book(local(TUESDAY, 10, 22), queued_at=local(TUESDAY, 10, 0))
        assert slot_of(a) == slot_of(b) == local(TUESDAY, 10, 30)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboundMessage)) == 0


def test_callbacks_are_served_in_the_order_callers_first_asked_whatever_order_they_booked(
    app: Flask, book: Callable[..., Ticket]
) -> None:
    app.config["CALLBACK_SLOT_CAPACITY"] = 2
    queued_minutes = [7, 2, 9, 0, 5, 3, 8]
    with app.app_context():
        tickets = {
            minute: book(local(TUESDAY, 10, 20 + i), queued_at=local(TUESDAY, 10, minute))
            for i, minute in enumerate(queued_minutes)
        }
        by_queue_time = [slot_of(tickets[minute]) for minute in sorted(queued_minutes)]
        assert by_queue_time == [
            local(TUESDAY, 10, 30),
            local(TUESDAY, 10, 30),
            local(TUESDAY, 10, 45),
            local(TUESDAY, 10, 45),
            local(TUESDAY, 11, 0),
            local(TUESDAY, 11, 0),
            local(TUESDAY, 11, 15),
        ]
        # The two who queued first were never bumped, so never texted.
        assert sms_to(tickets[0].callback.number) == []
        assert sms_to(tickets[2].callback.number) == []


def test_a_caller_already_due_is_not_moved_by_a_later_caller_with_an_earlier_place(
    app: Flask, book: Callable[..., Ticket]
) -> None:
    app.config["CALLBACK_SLOT_CAPACITY"] = 1
    with app.app_context():
        b = book(local(TUESDAY, 10, 6), queued_at=local(TUESDAY, 10, 5))
        assert slot_of(b) == local(TUESDAY, 10, 15)

        # A asks once B's slot has begun: B is being called, A takes the next slot.
        a = book(local(TUESDAY, 10, 16), queued_at=local(TUESDAY, 10, 0))

        assert slot_of(b) == local(TUESDAY, 10, 15)
        assert slot_of(a) == local(TUESDAY, 10, 30)
        assert sms_to(b.callback.number) == []


def test_a_caller_due_for_our_call_stays_put_when_an_earlier_place_moves_the_others(
    app: Flask, book: Callable[..., Ticket]
) -> None:
    app.config["CALLBACK_SLOT_CAPACITY"] = 1
    with app.app_context():
        due = book(local(TUESDAY, 10, 6), queued_at=local(TUESDAY, 10, 5))
        later = book(local(TUESDAY, 10, 16))
        assert (slot_of(due), slot_of(later)) == (local(TUESDAY, 10, 15), local(TUESDAY, 10, 30))

        # At 10:20 the 10:15 caller is being rung; one who queued at 10:10 left the queue and
        # books: they go ahead of the 10:16 caller only, who moves and is told.
        earlier = book(local(TUESDAY, 10, 20), queued_at=local(TUESDAY, 10, 10))

        assert slot_of(due) == local(TUESDAY, 10, 15)
        assert sms_to(due.callback.number) == []
        assert slot_of(earlier) == local(TUESDAY, 10, 30)
        assert slot_of(later) == local(TUESDAY, 10, 45)
        assert_told_new_time(later.callback.number, "fr", local(TUESDAY, 10, 45))


def test_a_slot_freed_by_a_caller_who_was_forgotten_goes_to_the_next_caller(
    app: Flask, runner: FlaskCliRunner, book: Callable[..., Ticket]
) -> None:
    app.config["CALLBACK_SLOT_CAPACITY"] = 1
    with app.app_context():
        first = book(local(TUESDAY, 10, 6))
        book(local(TUESDAY, 10, 7), number="+33612349999")
        book(local(TUESDAY, 10, 8), number="+33612349999")
        # That caller asks to be forgotten: their 10:30 and 10:45 callbacks are cancelled.
        result = runner.invoke(args=["privacy", "anonymise", "+33612349999"])
        assert result.exit_code == 0, result.output
        following = book(local(TUESDAY, 10, 9))
        assert slot_of(first) == local(TUESDAY, 10, 15)
        assert slot_of(following) == local(TUESDAY, 10, 30)


def test_a_closure_over_booked_callbacks_moves_them_and_texts_each_caller_once_in_their_language(
    app: Flask, runner: FlaskCliRunner, book: Callable[..., Ticket]
) -> None:
    app.config["CALLBACK_SLOT_CAPACITY"] = 2
    with app.app_context():
        first = [
            book(local(TUESDAY, 10, 20), queued_at=local(TUESDAY, 9, 0), language="en"),
            book(local(TUESDAY, 10, 20), queued_at=local(TUESDAY, 9, 1), language="es"),
        ]
        moved = {
            "fr": book(local(TUESDAY, 10, 20), queued_at=local(TUESDAY, 10, 0), language="fr"),
            "ar": book(local(TUESDAY, 10, 20), queued_at=local(TUESDAY, 10, 1), language="ar"),
            "de": book(
                local(TUESDAY, 10, 20),
                queued_at=local(TUESDAY, 10, 2),
                language="de",
                number="+212612345699",  # a Moroccan mobile: one time to give
            ),
        }
        assert [slot_of(t) for t in first] == [local(TUESDAY, 10, 30)] * 2
        assert [slot_of(t) for t in moved.values()] == [
            local(TUESDAY, 10, 45),
            local(TUESDAY, 10, 45),
            local(TUESDAY, 11, 0),
        ]

        result = runner.invoke(
            args=[
                "calendar",
                "close",
                "2026-12-01T10:45",
                "2026-12-01T11:00",
                "--kind",
                "maintenance",
            ]
        )

        assert result.exit_code == 0, result.output
        assert "3 callback(s) moved" in result.output
        expected = {
            "fr": local(TUESDAY, 11, 0),
            "ar": local(TUESDAY, 11, 0),
            "de": local(TUESDAY, 11, 15),
        }
        for code, ticket in moved.items():
            assert slot_of(ticket) == expected[code], code
            assert_told_new_time(ticket.callback.number, code, expected[code])
        for ticket in first:
            assert slot_of(ticket) == local(TUESDAY, 10, 30)
            assert sms_to(ticket.callback.number) == []
        # A French mobile is on Paris time, an hour ahead: the text gives both times.
        (french,) = sms_to(moved["fr"].callback.number)
        assert french.body == (
            f"Centre d'appels consulaire : votre rappel {moved['fr'].reference} est déplacé au "
            "mardi 1 décembre 2026 à 11:00 (heure marocaine), soit le mardi 1 décembre 2026 à "
            "12:00, heure locale."
        )
        (german,) = sms_to("+212612345699")
        assert german.body == (
            f"Konsularisches Callcenter: Ihr Rückruf {moved['de'].reference} wurde auf "
            "Dienstag, 1. Dezember 2026, 11:15 Uhr (marokkanische Zeit) verschoben."
        )

        # An unrelated closure later on moves nobody and texts nobody again.
        result = runner.invoke(args=["calendar", "close", "2026-12-08T10:00", "2026-12-08T12:00"])
        assert result.exit_code == 0, result.output
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboundMessage)) == 3


def test_a_closure_at_the_end_of_friday_moves_callbacks_past_the_weekend_and_a_holiday(
    app: Flask, runner: FlaskCliRunner, book: Callable[..., Ticket]
) -> None:
    # Friday 8 January 2027; Monday 11 January is a holiday.
    friday, tuesday = date(2027, 1, 8), date(2027, 1, 12)
    with app.app_context():
        tickets = [book(local(friday, 19, 40), language=code) for code in ("fr", "ar", "de")]
        assert [slot_of(t) for t in tickets] == [local(friday, 19, 45)] * 3

        result = runner.invoke(args=["calendar", "close", "2027-01-08T19:30", "2027-01-08T20:00"])

        assert result.exit_code == 0, result.output
        for ticket, code in zip(tickets, ("fr", "ar", "de"), strict=True):
            assert slot_of(ticket) == local(tuesday, 8)
            assert_told_new_time(ticket.callback.number, code, local(tuesday, 8))


def test_moving_an_islamic_holiday_onto_booked_callbacks_moves_them(
    app: Flask, runner: FlaskCliRunner, book: Callable[..., Ticket]
) -> None:
    from centre import calendar

    with app.app_context():
        ticket = book(local(date(2026, 6, 16), 19, 50), language="ar")  # the holiday is 16 June
        assert slot_of(ticket) == local(date(2026, 6, 17), 8)
        holiday = db.session.scalar(
            sa.select(calendar.Holiday).where(
                calendar.Holiday.name == "Islamic New Year",
                calendar.Holiday.day == date(2026, 6, 16),
            )
        )

        result = runner.invoke(args=["calendar", "confirm", str(holiday.id), "--on", "2026-06-17"])

        assert result.exit_code == 0, result.output
        assert slot_of(ticket) == local(date(2026, 6, 18), 8)
        assert_told_new_time(ticket.callback.number, "ar", local(date(2026, 6, 18), 8))


def test_a_replayed_booking_opens_no_second_ticket_nor_second_callback(
    app: Flask, book: Callable[..., Ticket]
) -> None:
    with app.app_context():
        first = book(local(TUESDAY, 10, 2), number="+33612345678", source_key="CA0001:7")
        # Others book in between, then Twilio retries the same request.
        book(local(TUESDAY, 10, 3))
        again = book(local(TUESDAY, 10, 4), number="+33612345678", source_key="CA0001:7")

        assert again.id == first.id
        assert again.reference == first.reference
        assert slot_of(again) == local(TUESDAY, 10, 15)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 2
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Callback)) == 2
        assert sms_to("+33612345678") == []


def test_longer_opening_hours_never_bring_a_booked_callback_earlier(
    app: Flask, runner: FlaskCliRunner, book: Callable[..., Ticket]
) -> None:
    saturday = date(2026, 12, 5)
    with app.app_context():
        ticket = book(local(saturday, 11, 0))
        assert slot_of(ticket) == local(date(2026, 12, 7), 8, 0)
        result = runner.invoke(args=["calendar", "hours", "saturday", "09:00", "18:00"])
        assert result.exit_code == 0, result.output
        assert slot_of(ticket) == local(date(2026, 12, 7), 8, 0)
        assert sms_to(ticket.callback.number) == []


def test_a_closure_over_a_callback_already_due_moves_it(
    app: Flask, runner: FlaskCliRunner, book: Callable[..., Ticket], time_machine
) -> None:
    with app.app_context():
        ticket = book(local(TUESDAY, 10, 5))
        assert slot_of(ticket) == local(TUESDAY, 10, 15)
        time_machine.move_to(local(TUESDAY, 10, 20), tick=False)  # due, not yet called back
        result = runner.invoke(args=["calendar", "close", "2026-12-01T10:00", "2026-12-01T12:00"])
        assert result.exit_code == 0, result.output
        assert slot_of(ticket) == local(TUESDAY, 12, 0)
        assert_told_new_time(ticket.callback.number, "fr", local(TUESDAY, 12, 0))


def test_a_closure_added_on_the_page_moves_a_callback_booked_by_phone_and_its_removal_moves_nothing(
    app: Flask, call, log_in, closed_hours
) -> None:
    # Saturday 5 December 11:00: a French caller asks for a callback, booked for the opening,
    # Monday 7 December 08:00 Moroccan time (UTC+0 since 20 September 2026).
    phone = call(caller="+33612345678")
    phone.dial()
    phone.press("2")  # French
    phone.press("0")
    assert phone.press("1").hangup
    with app.app_context():
        ticket = db.session.scalar(sa.select(Ticket))
        assert ticket.callback.scheduled_at == datetime(2026, 12, 7, 8, 0)  # naive UTC
        ticket_id, reference = ticket.id, ticket.reference
    supervisor = log_in("supervisor", "fr", locale="fr")
    strike = {
        "starts": "2026-12-07T08:00",
        "ends": "2026-12-07T12:00",
        "kind": "closure",
        "reason": "Grève",
    }
    shown = post_form(supervisor, "/centre/closures", strike).get_data(as_text=True)
    assert reference in shown  # the move is shown before anything changes
    assert post_form(supervisor, "/centre/closures", {**strike, "confirm": "1"}).status_code == 302

    # The first slot after the closure: Monday 12:00 in Casablanca, 13:00 in Paris.
    with app.app_context():
        callback = db.session.get(Ticket, ticket_id).callback
        assert callback.scheduled_at == datetime(2026, 12, 7, 12, 0)
        texts = sms_to("+33612345678")
        assert [m.purpose for m in texts] == ["callback_booked", "callback_moved"]
        moved = texts[1].body
    assert reference in moved and "7 décembre" in moved
    assert "12:00" in moved and "13:00" in moved and "08:00" not in moved
    page = supervisor.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert "Prévu le 07/12/2026 12:00." in page  # the ticket shows the new time

    # The strike is called off: the caller was told 12:00, so they are not rung earlier.
    with app.app_context():
        closure_id = db.session.scalar(sa.select(Closure.id))
    removed = post_form(
        supervisor,
        f"/centre/closures/{closure_id}/remove",
        {},
        page=f"/centre/closures/{closure_id}/remove",
    )
    assert removed.status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Closure)) == 0
        assert db.session.get(Ticket, ticket_id).callback.scheduled_at == datetime(2026, 12, 7, 12)
        assert len(sms_to("+33612345678")) == 2
