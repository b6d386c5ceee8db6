"""The supervisors' shell: the calendar and the notices, read and changed from `flask`."""

from __future__ import annotations

import sqlalchemy as sa
from helpers import add_notice

from centre.calendar import Holiday
from centre.extensions import db
from centre.notices import Notice
from staff.models import AuditEntry

TEXTS = [f"--text={code}=notice {code}" for code in ("ar", "fr", "es", "it", "nl", "de")]


def invoke(runner, *args: str):  # type: ignore[no-untyped-def]
    """Run `flask ARGS`; return the result."""
    return runner.invoke(args=list(args))


def audited(app) -> list[str]:  # type: ignore[no-untyped-def]
    """Return the audit log's actions, oldest first."""
    with app.app_context():
        return list(db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))


def test_calendar_show_prints_the_week_and_when_the_centre_next_opens(runner, closed_hours):
    result = invoke(runner, "calendar", "show")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[:7] == [
        "monday     08:00-20:00",
        "tuesday    08:00-20:00",
        "wednesday  08:00-20:00",
        "thursday   08:00-20:00",
        "friday     08:00-20:00",
        "saturday   closed",
        "sunday     closed",
    ]
    # Saturday 5 December 2026, 11:00: next opening on Monday morning.
    assert lines[7] == "Now closed; next opening 2026-12-07 08:00 (Africa/Casablanca)"


def test_changed_hours_show_at_once_and_are_audited(app, runner, closed_hours):
    assert invoke(runner, "calendar", "hours", "saturday", "09:00", "13:00").exit_code == 0
    assert invoke(runner, "calendar", "hours", "monday", "--closed").exit_code == 0
    lines = invoke(runner, "calendar", "show").output.splitlines()
    assert "saturday   09:00-13:00" in lines and "monday     closed" in lines
    assert lines[-1].startswith("Now open")
    assert audited(app).count("centre.hours") == 2


def test_a_centre_that_never_opens_has_no_next_opening(runner, closed_hours):
    for day in ("monday", "tuesday", "wednesday", "thursday", "friday"):
        assert invoke(runner, "calendar", "hours", day, "--closed").exit_code == 0
    assert invoke(runner, "calendar", "show").output.splitlines()[-1] == "Now closed"


def test_hours_need_an_opening_and_a_later_closing(app, runner):
    missing = invoke(runner, "calendar", "hours", "monday", "09:00")
    assert missing.exit_code == 2 and "give OPENS and CLOSES" in missing.output
    backwards = invoke(runner, "calendar", "hours", "monday", "20:00", "08:00")
    assert backwards.exit_code == 2 and "the centre must close after it opens" in backwards.output
    assert "centre.hours" not in audited(app)


def test_holidays_are_listed_by_year_with_islamic_dates_marked_until_confirmed(app, runner):
    result = invoke(runner, "calendar", "holidays", "--year", "2027")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert all(" 2027-" in line for line in lines)
    assert any(line.endswith("2027-01-01  New Year's Day") for line in lines)
    eid = [line for line in lines if "Eid al-Fitr" in line]
    assert eid and all(line.endswith("(estimated: confirm or move)") for line in eid)
    assert not any("estimated" in line for line in lines if "New Year's Day" in line)
    everything = invoke(runner, "calendar", "holidays").output.splitlines()
    assert any(" 2026-" in line for line in everything) and len(everything) > len(lines)
    with app.app_context():
        holiday_id = db.session.scalar(
            sa.select(Holiday.id).where(Holiday.name == "Eid al-Fitr").order_by(Holiday.day)
        )
    confirmed = invoke(runner, "calendar", "confirm", str(holiday_id))
    assert confirmed.exit_code == 0, confirmed.output
    after = invoke(runner, "calendar", "holidays", "--year", "2027").output.splitlines()
    assert not any("estimated" in line for line in after if f"{holiday_id:>4}  " in line)


def test_confirming_an_unknown_holiday_or_a_bad_date_is_refused(runner):
    unknown = invoke(runner, "calendar", "confirm", "99999")
    assert unknown.exit_code == 1 and "no holiday 99999" in unknown.output
    bad = invoke(runner, "calendar", "confirm", "1", "--on", "soon")
    assert bad.exit_code == 2 and "--on takes a date such as 2027-03-10, not 'soon'" in bad.output


def test_an_added_holiday_closes_the_centre_that_day(app, runner, time_machine):
    time_machine.move_to("2026-12-09T10:00:00+00:00", tick=False)  # a Wednesday, open
    assert invoke(runner, "calendar", "show").output.splitlines()[-1].startswith("Now open")
    assert invoke(runner, "calendar", "add-holiday", "2026-12-09", "Staff day").exit_code == 0
    assert (
        invoke(runner, "calendar", "show").output.splitlines()[-1]
        == "Now closed; next opening 2026-12-10 08:00 (Africa/Casablanca)"
    )
    assert any(
        line.endswith("2026-12-09  Staff day")
        for line in invoke(runner, "calendar", "holidays", "--year", "2026").output.splitlines()
    )
    assert "centre.holiday_add" in audited(app)


def test_closures_still_to_come_are_listed_and_a_backwards_one_is_refused(app, runner, open_hours):
    for starts, ends, reason in (
        ("2026-11-30T10:00", "2026-11-30T12:00", "Past"),
        ("2026-12-08T10:00", "2026-12-08T12:00", "Strike"),
    ):
        added = invoke(runner, "calendar", "close", starts, ends, "--reason", reason)
        assert added.exit_code == 0, added.output
    assert (
        invoke(
            runner,
            "calendar",
            "close",
            "2026-12-09T10:00",
            "2026-12-09T13:00",
            "--kind",
            "maintenance",
        ).exit_code
        == 0
    )
    lines = [line.split() for line in invoke(runner, "calendar", "closures").output.splitlines()]
    assert [line[1:] for line in lines] == [
        ["closure", "2026-12-08", "10:00", "->", "2026-12-08", "12:00", "Strike"],
        ["maintenance", "2026-12-09", "10:00", "->", "2026-12-09", "13:00"],
    ]
    backwards = invoke(runner, "calendar", "close", "2026-12-08T10:00", "2026-12-08T09:00")
    assert backwards.exit_code == 2 and "a closure must end after it starts" in backwards.output
    assert len(invoke(runner, "calendar", "closures").output.splitlines()) == 2


def test_notices_are_listed_until_they_end_then_removed(app, runner, open_hours):
    for starts, ends, scope, english in (
        ("2026-11-20T08:00", "2026-11-25T08:00", [], "over"),
        (
            "2026-12-01T08:00",
            "2026-12-08T08:00",
            ["--country", "es", "--number", "+34900000000"],
            "Visas suspended",
        ),
        ("2026-12-02T08:00", "2026-12-03T08:00", [], "Strike"),
    ):
        added = add_notice(runner, *scope, *TEXTS, f"--text=en={english}", starts=starts, ends=ends)
        assert added.exit_code == 0, added.output
        assert added.output.startswith("notice ") and added.output.strip().endswith(" added")
    listed = invoke(runner, "notices", "list").output.splitlines()
    assert len(listed) == 2
    assert listed[0].endswith(
        "2026-12-01 08:00 -> 2026-12-08 08:00 UTC  [ES +34900000000]  Visas suspended"
    )
    assert listed[1].endswith("2026-12-02 08:00 -> 2026-12-03 08:00 UTC  [all callers]  Strike")
    first = listed[0].split()[0]
    removed = invoke(runner, "notices", "remove", first)
    assert removed.exit_code == 0, removed.output
    assert [line.split()[0] for line in invoke(runner, "notices", "list").output.splitlines()] == [
        listed[1].split()[0]
    ]
    with app.app_context():
        assert db.session.get(Notice, int(first)) is None
    assert "centre.notice_remove" in audited(app)


def test_removing_an_unknown_notice_and_a_malformed_text_are_refused(app, runner):
    unknown = invoke(runner, "notices", "remove", "999")
    assert unknown.exit_code == 1 and "no notice 999" in unknown.output
    for text in ("xx=hello", "en=", "no-equals-sign"):
        bad = add_notice(runner, *TEXTS, f"--text={text}")
        assert bad.exit_code == 2 and "--text must be LANG=TEXT" in bad.output, text
    backwards = add_notice(
        runner, *TEXTS, "--text=en=x", starts="2026-12-08T08:00", ends="2026-12-01T08:00"
    )
    assert backwards.exit_code == 2 and "a notice must end after it starts" in backwards.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Notice)) == 0


def test_a_notice_added_from_the_shell_can_aim_at_a_topic(app, runner, open_hours):
    added = add_notice(
        runner, "--topic", "service:visa", "--urgent", *TEXTS, "--text=en=Visas suspended"
    )
    assert added.exit_code == 0, added.output
    listed = invoke(runner, "notices", "list").output
    assert "[all callers, at service:visa, urgent]" in listed
    with app.app_context():
        notice = db.session.scalars(sa.select(Notice)).one()
        assert (notice.topic, notice.topic_key, notice.urgent) == ("service", "visa", True)
    for wrong in ("weather", "service:", "service"):
        refused = add_notice(runner, "--topic", wrong, *TEXTS, "--text=en=x")
        assert refused.exit_code == 2 and "--topic must be" in refused.output
