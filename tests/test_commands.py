"""The shell commands: setup, tickets, notices, and a simulated call."""

from __future__ import annotations

import sqlalchemy as sa
from helpers import add_notice, row_counts, walk_to_main_menu

from centre.extensions import db
from centre.notices import Notice


def test_setup_twice_with_demo_changes_nothing_the_second_time(app, runner):
    first = runner.invoke(args=["setup", "--demo"])
    assert first.exit_code == 0, first.output
    counts = row_counts(app)
    assert counts["tickets"] and counts["calls"] and counts["notices"] and counts["holidays"]
    second = runner.invoke(args=["setup", "--demo"])
    assert second.exit_code == 0, second.output
    assert row_counts(app) == counts


def test_tickets_list_shows_the_newest_first(app, call, runner, time_machine):
    time_machine.move_to("2026-12-01T09:00:00+00:00", tick=False)
    for digit in ("1", "2"):
        phone = call()
        walk_to_main_menu(phone, "ar")
        phone.press("3")
        phone.press(digit)
        time_machine.shift(60)
    lines = runner.invoke(args=["tickets", "list"]).output.splitlines()
    assert len(lines) == 2
    assert lines[0].split()[1:5] == ["suggestion", "new", "ar", "2026-12-01"]
    assert lines[1].split()[1:3] == ["complaint", "new"]


def test_a_notice_needs_all_seven_languages(app, runner):
    partial = add_notice(runner, "--text", "fr=Services visas suspendus")
    assert partial.exit_code != 0 and "missing the text in: ar es it nl de en" in partial.output
    texts = [f"--text={code}=notice {code}" for code in ("ar", "fr", "es", "it", "nl", "de", "en")]
    added = add_notice(runner, "--country", "es", *texts)
    assert added.exit_code == 0, added.output
    with app.app_context():
        notice = db.session.scalar(sa.select(Notice))
        assert notice.countries == "ES" and len(notice.texts) == 7


def test_the_call_command_walks_the_menu(runner, time_machine):
    time_machine.move_to("2026-12-01T09:00:00+00:00", tick=False)
    result = runner.invoke(args=["call", "--to", "+498000000000", "6", "3", "1", "record"])
    assert result.exit_code == 0, result.output
    assert "[de-DE]" in result.output and "waiting for: record" in result.output
    assert "status callback: 200" in result.output


def test_the_call_command_speaks_holds_and_leaves_the_queue(runner, time_machine):
    time_machine.move_to("2026-12-01T09:00:00+00:00", tick=False)
    result = runner.invoke(args=["call", "7", "", "say agent", "hold", "leave bridged"])
    assert result.exit_code == 0, result.output
    assert "> (silence)" in result.output and "Sorry, I did not hear your choice." in result.output
    assert "You are number 1 in the queue." in result.output
    assert "Thank you for calling the consular services. Goodbye." in result.output


def test_the_demo_cases_can_be_looked_up_by_phone(app, runner, call, time_machine):
    from casefeed import look_up

    from cases.demo import demo_references

    assert runner.invoke(args=["setup", "--demo"]).exit_code == 0
    time_machine.move_to("2026-12-01T09:00:00+00:00", tick=False)
    ready = demo_references()[2]
    turn = look_up(call(), "en", ready, "05031984")
    assert "ready" in turn.text.lower() and "Paris" in turn.text


def test_the_call_command_books_a_callback_from_the_waiting_message(runner, time_machine):
    time_machine.move_to("2026-12-01T09:00:00+00:00", tick=False)
    result = runner.invoke(args=["call", "7", "0", "1"])
    assert result.exit_code == 0, result.output
    assert "You are number 1 in the queue." in result.output  # the wait URL, asked at once
    assert "You keep your place. Let us book your callback." in result.output
    assert "An agent will call you back on" in result.output  # booked, with no `leave leave`


def test_the_call_command_explains_what_a_caller_can_type(runner):
    result = runner.invoke(args=["call", "--help"])
    for entry in ("say WORDS", "record", "hold", "answer", "hangup", "1000000016#"):
        assert entry in result.output


def test_the_call_command_asks_in_the_language_chosen(runner, time_machine):
    time_machine.move_to("2026-12-01T09:00:00+00:00", tick=False)
    result = runner.invoke(args=["call"], input="2\nquit\n")
    assert "Touches" in result.output.split("> 2")[1]  # after choosing French
