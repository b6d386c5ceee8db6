"""When the centre answers: weekly hours, holidays, Ramadan time, closures and the CLI."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskCliRunner

from centre import calendar
from centre.clock import CENTRE_TZ
from centre.extensions import db

# Days chosen so that Casablanca's offset is known: checked by the test just below. Morocco
# was on UTC+0 during Ramadan 2026 (15 February to 22 March) and UTC+1 otherwise, until it
# stayed on UTC+0 from 20 September 2026 (IANA tzdata 2026c, in the pinned `tzdata` package).
RAMADAN_WEDNESDAY = date(2026, 3, 4)
ORDINARY_WEDNESDAY = date(2026, 4, 15)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    """Return `day` at `hour:minute`, Moroccan time."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=CENTRE_TZ)


def utc(day: date, hour: int, minute: int = 0) -> datetime:
    """Return `day` at `hour:minute`, UTC."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def holiday_named(name: str, year: int) -> calendar.Holiday:
    """Return the stored holiday called `name` in `year` (the first day when it lasts two)."""
    return db.session.scalars(
        sa.select(calendar.Holiday)
        .where(
            calendar.Holiday.name == name,
            calendar.Holiday.day >= date(year, 1, 1),
            calendar.Holiday.day <= date(year, 12, 31),
        )
        .order_by(calendar.Holiday.day)
    ).first()


def test_the_chosen_days_fall_inside_and_outside_ramadan_time() -> None:
    assert utc(RAMADAN_WEDNESDAY, 12).astimezone(CENTRE_TZ).utcoffset() == timedelta(0)
    assert utc(ORDINARY_WEDNESDAY, 12).astimezone(CENTRE_TZ).utcoffset() == timedelta(hours=1)


def test_moroccan_time_follows_the_pinned_tz_data_not_the_systems() -> None:
    # A system tz database older than 2026c still says UTC+1 here: the centre would open and
    # close an hour early.
    assert utc(date(2026, 11, 27), 12).astimezone(CENTRE_TZ).utcoffset() == timedelta(0)
    assert utc(date(2027, 6, 2), 12).astimezone(CENTRE_TZ).utcoffset() == timedelta(0)
    assert RAMADAN_WEDNESDAY.weekday() == ORDINARY_WEDNESDAY.weekday() == 2


@pytest.mark.parametrize(
    ("hour", "minute", "expected"),
    [(8, 0, True), (19, 59, True), (20, 0, False), (7, 59, False), (12, 0, True)],
)
def test_a_working_day_is_open_from_eight_until_just_before_eight_in_the_evening(
    app: Flask, hour: int, minute: int, expected: bool
) -> None:
    with app.app_context():
        assert calendar.is_open(local(date(2026, 12, 1), hour, minute)) is expected


def test_the_weekend_is_closed_all_day(app: Flask) -> None:
    with app.app_context():
        for day in (date(2026, 12, 5), date(2026, 12, 6)):
            assert not any(calendar.is_open(local(day, hour)) for hour in range(24)), day


@pytest.mark.parametrize(
    "day",
    [date(2026, 11, 18), date(2027, 1, 11), date(2026, 5, 27)],
    ids=["independence-day", "proclamation-of-independence", "eid-al-adha"],
)
def test_a_public_holiday_on_a_weekday_is_closed(app: Flask, day: date) -> None:
    assert day.weekday() < 5
    with app.app_context():
        assert not calendar.is_open(local(day, 10))
        assert calendar.is_open(local(day - timedelta(days=7), 10))


def test_moving_an_islamic_holiday_opens_the_estimated_day_and_closes_the_announced_one(
    app: Flask, runner: FlaskCliRunner
) -> None:
    with app.app_context():
        new_year = holiday_named("Islamic New Year", 2026)
        assert (new_year.day, new_year.islamic, new_year.confirmed) == (
            date(2026, 6, 16),
            True,
            False,
        )
        estimated, announced = date(2026, 6, 16), date(2026, 6, 17)
        assert not calendar.is_open(local(estimated, 10))
        assert calendar.is_open(local(announced, 10))

        result = runner.invoke(
            args=["calendar", "confirm", str(new_year.id), "--on", announced.isoformat()]
        )

        assert result.exit_code == 0, result.output
        assert calendar.is_open(local(estimated, 10))
        assert not calendar.is_open(local(announced, 10))
        assert db.session.get(calendar.Holiday, new_year.id).confirmed


def test_confirming_an_islamic_holiday_without_a_date_keeps_it_closed(
    app: Flask, runner: FlaskCliRunner
) -> None:
    with app.app_context():
        new_year = holiday_named("Islamic New Year", 2026)
        result = runner.invoke(args=["calendar", "confirm", str(new_year.id)])
        assert result.exit_code == 0, result.output
        assert not calendar.is_open(local(date(2026, 6, 16), 10))
        assert db.session.get(calendar.Holiday, new_year.id).confirmed


@pytest.mark.parametrize(
    ("hour", "minute", "in_ramadan", "outside_ramadan"),
    [
        (19, 30, True, False),  # 19:30 local in Ramadan, 20:30 local otherwise
        (19, 59, True, False),
        (7, 30, False, True),  # 07:30 local in Ramadan, 08:30 local otherwise
        (7, 0, False, True),  # 07:00 local in Ramadan, 08:00 sharp otherwise
        (8, 0, True, True),
        (6, 59, False, False),
    ],
)
def test_opening_hours_follow_moroccan_time_in_and_out_of_ramadan(
    app: Flask, hour: int, minute: int, in_ramadan: bool, outside_ramadan: bool
) -> None:
    with app.app_context():
        assert calendar.is_open(utc(RAMADAN_WEDNESDAY, hour, minute)) is in_ramadan
        assert calendar.is_open(utc(ORDINARY_WEDNESDAY, hour, minute)) is outside_ramadan


def test_a_maintenance_window_closes_its_hours_and_only_those(
    app: Flask, runner: FlaskCliRunner
) -> None:
    day = date(2026, 12, 2)
    with app.app_context():
        result = runner.invoke(
            args=[
                "calendar",
                "close",
                "2026-12-02T12:00",
                "2026-12-02T14:30",
                "--kind",
                "maintenance",
                "--reason",
                "telephony upgrade",
            ]
        )
        assert result.exit_code == 0, result.output

        closure = db.session.scalars(sa.select(calendar.Closure)).one()
        assert closure.kind == "maintenance"
        assert calendar.is_open(local(day, 11, 59))
        assert not calendar.is_open(local(day, 12, 0))
        assert not calendar.is_open(local(day, 14, 29))
        assert calendar.is_open(local(day, 14, 30))
        assert calendar.next_opening(local(day, 12, 10)) == local(day, 14, 30)


def test_a_closure_with_an_explicit_offset_is_read_in_that_offset(
    app: Flask, runner: FlaskCliRunner
) -> None:
    with app.app_context():
        result = runner.invoke(
            args=["calendar", "close", "2026-12-02T11:00+01:00", "2026-12-02T12:00+01:00"]
        )
        assert result.exit_code == 0, result.output
        assert calendar.is_open(local(date(2026, 12, 2), 9, 59))
        assert not calendar.is_open(local(date(2026, 12, 2), 10, 0))
        assert calendar.is_open(local(date(2026, 12, 2), 11, 0))


def test_one_read_of_the_calendar_tells_what_is_open_and_next_opening_tell(app: Flask) -> None:
    with app.app_context():
        db.session.add(
            calendar.Closure(
                kind="maintenance",
                starts_at=datetime(2026, 12, 2, 11),
                ends_at=datetime(2026, 12, 2, 13, 30),
            )
        )
        db.session.flush()
        moment = local(date(2026, 11, 30), 7)  # a week from Monday, closure and edges included
        while moment < local(date(2026, 12, 7), 9):
            seen = calendar.availability(moment)
            assert seen.open is calendar.is_open(moment), moment
            assert seen.next_opening == calendar.next_opening(moment), moment
            moment += timedelta(minutes=7, seconds=30)


def test_next_opening_after_friday_evening_is_monday_at_eight_local_time(app: Flask) -> None:
    with app.app_context():
        opening = calendar.next_opening(local(date(2026, 12, 4), 20, 30))
    assert opening == local(date(2026, 12, 7), 8)
    assert opening.astimezone(CENTRE_TZ).strftime("%Y-%m-%d %H:%M %z") == "2026-12-07 08:00 +0000"


def test_next_opening_while_open_is_now(app: Flask) -> None:
    moment = local(date(2026, 12, 1), 10, 17)
    with app.app_context():
        assert calendar.next_opening(moment) == moment


def test_next_opening_skips_a_holiday_after_the_weekend(app: Flask) -> None:
    # Saturday 9 January 2027; Monday 11 January is Proclamation of Independence Day.
    with app.app_context():
        assert calendar.next_opening(local(date(2027, 1, 9), 10)) == local(date(2027, 1, 12), 8)


def test_next_opening_skips_a_friday_holiday_and_the_weekend(app: Flask) -> None:
    # Thursday 5 November 2026 evening; Friday 6 November is Green March.
    with app.app_context():
        assert calendar.next_opening(local(date(2026, 11, 5), 20)) == local(date(2026, 11, 9), 8)


def test_next_opening_skips_a_closure_starting_at_the_opening(
    app: Flask, runner: FlaskCliRunner
) -> None:
    with app.app_context():
        result = runner.invoke(args=["calendar", "close", "2026-12-07T07:00", "2026-12-07T11:00"])
        assert result.exit_code == 0, result.output
        assert calendar.next_opening(local(date(2026, 12, 4), 21)) == local(date(2026, 12, 7), 11)


def test_next_opening_skips_a_closure_covering_whole_days(
    app: Flask, runner: FlaskCliRunner
) -> None:
    with app.app_context():
        result = runner.invoke(args=["calendar", "close", "2026-12-07T00:00", "2026-12-09T00:00"])
        assert result.exit_code == 0, result.output
        assert calendar.next_opening(local(date(2026, 12, 4), 21)) == local(date(2026, 12, 9), 8)


def test_next_opening_across_the_start_of_ramadan_time_is_eight_local(app: Flask) -> None:
    # Friday 13 February 2026 was on UTC+1; Monday 16 February on UTC+0.
    with app.app_context():
        opening = calendar.next_opening(local(date(2026, 2, 13), 20, 30))
    assert opening.astimezone(CENTRE_TZ).strftime("%Y-%m-%d %H:%M") == "2026-02-16 08:00"
    assert opening == utc(date(2026, 2, 16), 8)


def test_open_seconds_across_a_weekend_count_only_working_hours(app: Flask) -> None:
    # Friday 18:00 to Monday 10:00: two hours on Friday, two on Monday.
    with app.app_context():
        seconds = calendar.open_seconds_between(
            local(date(2026, 12, 4), 18), local(date(2026, 12, 7), 10)
        )
    assert seconds == 4 * 3600


def test_open_seconds_leave_out_a_closure(app: Flask, runner: FlaskCliRunner) -> None:
    with app.app_context():
        runner.invoke(args=["calendar", "close", "2026-12-07T09:00", "2026-12-07T09:30"])
        seconds = calendar.open_seconds_between(
            local(date(2026, 12, 4), 18), local(date(2026, 12, 7), 10)
        )
    assert seconds == 3.5 * 3600


def test_opening_on_saturday_morning_opens_it_and_only_in_those_hours(
    app: Flask, runner: FlaskCliRunner
) -> None:
    saturday = date(2026, 12, 5)
    with app.app_context():
        assert not calendar.is_open(local(saturday, 10))

        result = runner.invoke(args=["calendar", "hours", "saturday", "09:00", "13:00"])

        assert result.exit_code == 0, result.output
        assert not calendar.is_open(local(saturday, 8, 59))
        assert calendar.is_open(local(saturday, 9))
        assert calendar.is_open(local(saturday, 12, 59))
        assert not calendar.is_open(local(saturday, 13))
        assert not calendar.is_open(local(saturday + timedelta(days=1), 10))
        assert calendar.next_opening(local(date(2026, 12, 4), 21)) == local(saturday, 9)


def test_closing_a_weekday_closes_it_every_week(app: Flask, runner: FlaskCliRunner) -> None:
    with app.app_context():
        result = runner.invoke(args=["calendar", "hours", "wednesday", "--closed"])

        assert result.exit_code == 0, result.output
        for wednesday in (date(2026, 12, 2), date(2026, 12, 9)):
            assert not calendar.is_open(local(wednesday, 10))
        assert calendar.is_open(local(date(2026, 12, 1), 10))
        assert calendar.next_opening(local(date(2026, 12, 1), 20)) == local(date(2026, 12, 3), 8)


def test_hours_that_close_before_they_open_are_refused(app: Flask, runner: FlaskCliRunner) -> None:
    with app.app_context():
        result = runner.invoke(args=["calendar", "hours", "monday", "18:00", "09:00"])
        assert result.exit_code != 0
        assert calendar.is_open(local(date(2026, 12, 7), 10))


def test_moving_eid_moves_both_of_its_days_and_seeding_again_keeps_the_move(app, runner):  # type: ignore[no-untyped-def]
    with app.app_context():
        first, second = db.session.scalars(
            sa.select(calendar.Holiday)
            .where(calendar.Holiday.name == "Eid al-Fitr", calendar.Holiday.day >= date(2027, 1, 1))
            .order_by(calendar.Holiday.day)
        ).all()
        assert (first.day, second.day) == (date(2027, 3, 9), date(2027, 3, 10))
        result = runner.invoke(args=["calendar", "confirm", str(first.id), "--on", "2027-03-10"])
        assert result.exit_code == 0, result.output
        db.session.expire_all()
        days = sorted(
            h.day
            for h in db.session.scalars(
                sa.select(calendar.Holiday).where(
                    calendar.Holiday.name == "Eid al-Fitr", calendar.Holiday.day >= date(2027, 1, 1)
                )
            )
        )
        assert days == [date(2027, 3, 10), date(2027, 3, 11)]
        assert calendar.seed_holidays([2027]) == 0
        db.session.commit()
        assert calendar.is_open(datetime(2027, 3, 9, 10, 0, tzinfo=UTC))
        assert not calendar.is_open(datetime(2027, 3, 11, 10, 0, tzinfo=UTC))


def test_a_malformed_date_is_refused_with_a_clear_message(app, runner):  # type: ignore[no-untyped-def]
    result = runner.invoke(args=["calendar", "confirm", "1", "--on", "10/03/2027"])
    assert result.exit_code != 0 and "2027-03-10" in result.output
