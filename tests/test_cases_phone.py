"""Option 2 by phone: the caller proves the case is theirs and hears its status in their language."""

from __future__ import annotations

import logging
import secrets
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from babel.dates import format_date
from casefeed import BIRTH_DIGITS, case_row, look_up, reference, with_wrong_check_digit, write_csv
from flask_babel import force_locale
from helpers import assert_spoken_in, walk_to_main_menu

from cases.models import STATUSES, CaseLookup
from cases.wording import DOCUMENTS
from centre import languages
from centre.extensions import db
from centre.messaging import OutboundMessage
from ivr.models import Call, CallEvent
from tickets.models import Ticket

# Every change names a service; the guide must have it (the seed has "passport").
pytestmark = pytest.mark.usefixtures("guide")

CODES = languages.CODES
BIRTH = BIRTH_DIGITS
EXPECTED = date(2026, 12, 15)
# What an English caller hears, at least, for each status.
ENGLISH = {
    "received": "has been received",
    "in_review": "is being examined",
    "awaiting_documents": "documents still missing",
    "ready_for_collection": "is ready",
    "collected": "was collected on",
    "rejected": "has been refused",
    "cancelled": "has been cancelled",
}


@pytest.fixture
def import_cases(app, runner, tmp_path):  # type: ignore[no-untyped-def]
    """Return a function importing case rows through the CSV command."""

    def load(*rows: dict[str, str]) -> None:
        path = write_csv(tmp_path / f"cases-{secrets.token_hex(3)}.csv", rows)
        result = runner.invoke(args=["cases", "import", str(path)])
        assert result.exit_code == 0, result.output

    return load


@pytest.mark.parametrize("code", CODES)
@pytest.mark.parametrize("status", STATUSES)
def test_every_status_is_told_in_every_language(app, call, import_cases, open_hours, status, code):
    import_cases(
        case_row(status=status, missing_documents="photos;birth_certificate", language="de")
    )
    turn = look_up(call(), code, reference(1), BIRTH)
    assert_spoken_in(turn, code)
    locale = languages.get(code).babel_locale
    text = turn.text
    assert (code == "en") == (ENGLISH[status] in text)
    if status in ("received", "in_review", "awaiting_documents", "ready_for_collection"):
        assert format_date(EXPECTED, "full", locale=locale) in text
    if status in ("awaiting_documents", "ready_for_collection"):
        assert "Paris" in text
    if status == "awaiting_documents":
        with app.test_request_context(), force_locale(code):
            assert str(DOCUMENTS["photos"]) in text and str(DOCUMENTS["birth_certificate"]) in text
    if status == "collected":
        assert format_date(date(2026, 11, 20), "full", locale=locale) in text
    assert (
        turn.gather is not None and turn.gather["language"] == languages.get(code).speech_language
    )


def test_each_status_gives_a_different_answer(call, import_cases, open_hours):
    import_cases(*(case_row(n, status=status) for n, status in enumerate(STATUSES)))
    answers = {look_up(call(), "fr", reference(n), BIRTH).text for n in range(len(STATUSES))}
    assert len(answers) == len(STATUSES)


@pytest.mark.parametrize("code", CODES)
def test_both_entries_are_read_back_digit_by_digit_and_the_date_with_babel(
    call, import_cases, open_hours, code
):
    import_cases(case_row())
    phone = call()
    walk_to_main_menu(phone, code)
    prompt = phone.press("2")
    assert prompt.gather["finishOnKey"] == "#" and int(prompt.gather["numDigits"]) > 10
    assert prompt.gather["input"] == "dtmf"
    typed = phone.press(reference(1) + "#")
    assert_spoken_in(typed, code)
    assert ", ".join(reference(1)) in typed.text
    asked = phone.press("1")
    assert asked.gather["finishOnKey"] == "#" and int(asked.gather["numDigits"]) > 8
    date_read = phone.press(BIRTH + "#")
    assert (
        format_date(date(1984, 3, 5), "long", locale=languages.get(code).babel_locale)
        in date_read.text
    )
    assert_spoken_in(date_read, code)


def test_a_caller_can_type_the_reference_again(call, import_cases, open_hours):
    import_cases(case_row())
    phone = call()
    walk_to_main_menu(phone, "en")
    phone.press("2")
    phone.press("1234#")  # too short: explained, asked again
    assert "ten digits" in phone.turn.text and phone.turn.gather["finishOnKey"] == "#"
    phone.press(with_wrong_check_digit(reference(1)) + "#")
    again = phone.press("2")  # "no, that is not it"
    assert "reference number" in again.text
    phone.press(reference(1) + "#")
    phone.press("1")
    phone.press("31021984#")  # 31 February
    assert "not a valid date" in phone.turn.text
    phone.press(BIRTH + "#")
    assert "is being examined" in phone.press("1").text


def failure_turns(call, kind: str):  # type: ignore[no-untyped-def]
    """Return the turn after a failed lookup of `kind`, from a number of its own."""
    typed, born = {
        "bad_check_digit": (with_wrong_check_digit(reference(1)), BIRTH),
        "unknown_reference": (reference(2), BIRTH),
        "wrong_birth_date": (reference(1), "06031984"),
    }[kind]
    phone = call(caller=f"+3361{secrets.randbelow(10**7):07d}")
    return look_up(phone, "en", typed, born)


def test_unknown_reference_wrong_check_digit_and_wrong_birth_date_sound_the_same(
    app, call, import_cases, open_hours
):
    import_cases(case_row())
    kinds = ("bad_check_digit", "unknown_reference", "wrong_birth_date")
    turns = {kind: failure_turns(call, kind) for kind in kinds}
    heard = {kind: [(s.text, s.voice) for s in turn.said] for kind, turn in turns.items()}
    assert heard["bad_check_digit"] == heard["unknown_reference"] == heard["wrong_birth_date"]
    assert "could not confirm" in turns["unknown_reference"].text
    assert (
        len(
            {
                tuple(sorted(t.gather.items() - {("action", t.gather["action"])}))
                for t in turns.values()
            }
        )
        == 1
    )
    with app.app_context():
        outcomes = db.session.scalars(sa.select(CaseLookup.outcome).order_by(CaseLookup.id)).all()
        assert outcomes == list(kinds)


def test_three_failures_in_a_call_end_the_lookup_and_offer_an_agent(
    app, call, import_cases, open_hours
):
    import_cases(case_row())
    phone = call()
    look_up(phone, "en", reference(2), BIRTH)
    for typed in (with_wrong_check_digit(reference(1)) + "#", reference(1) + "#"):
        phone.press(typed)
        phone.press("1")
        phone.press(("07031984" if typed.startswith(reference(1)) else BIRTH) + "#")
        turn = phone.press("1")
    assert "could not confirm" in turn.text and "no more applications" in turn.text
    assert "press 0" in turn.text
    # Even the right details are refused for the rest of the call...
    turn = phone.press("9")
    turn = phone.press("2")
    assert "no more applications" in turn.text
    assert phone.press("0").enqueue is not None  # ... and an agent is offered


def fail_three_times(call, on, caller: str) -> str:  # type: ignore[no-untyped-def]
    """Fail three lookups in one call on the app `on`; return what the caller last heard."""
    phone = call(caller=caller, on=on)
    turn = look_up(phone, "en", reference(2), BIRTH)
    for _ in range(2):
        phone.press(reference(2) + "#")
        phone.press("1")
        phone.press(BIRTH + "#")
        turn = phone.press("1")
    return turn.text


@pytest.fixture(params=["database", "redis"])
def two_workers(request, make_app, app):  # type: ignore[no-untyped-def]
    """Return two app instances sharing one database and one limit store."""
    config = {"REDIS_URL": ""}
    if request.param == "redis":
        config = request.getfixturevalue("redis_config")
    return make_app(**config), make_app(**config)


def test_a_number_with_more_than_five_failures_is_refused_for_24_hours_on_every_worker(
    app, call, import_cases, two_workers, time_machine
):
    time_machine.move_to("2026-12-01T09:00:00+00:00", tick=False)
    import_cases(case_row())
    first, second = two_workers
    guesser = "+33699990000"
    fail_three_times(call, first, guesser)
    time_machine.shift(timedelta(hours=2))
    fail_three_times(call, second, guesser)  # failures four to six, on the other worker
    time_machine.shift(timedelta(hours=2))
    phone = call(caller=guesser, on=first)
    walk_to_main_menu(phone, "en")
    turn = phone.press("2")
    assert "cannot be checked from this number" in turn.text
    assert turn.gather is not None and "press 0" in turn.text  # an agent instead
    # Another number is not affected; the guesser is again welcome 24 hours after.
    assert "is being examined" in look_up(call(on=second), "en", reference(1), BIRTH).text
    time_machine.move_to("2026-12-02T09:00:01+00:00", tick=False)
    assert (
        "is being examined"
        in look_up(call(caller=guesser, on=second), "en", reference(1), BIRTH).text
    )
    with app.app_context():
        rows = db.session.execute(
            sa.select(CaseLookup.outcome, CaseLookup.call_sid, CaseLookup.caller_hash).order_by(
                CaseLookup.id
            )
        ).all()
    assert [row.outcome for row in rows] == ["unknown_reference"] * 6 + [
        "refused",
        "found",
        "found",
    ]
    # The refusal is logged against the call refused and the guesser's number, as the failures.
    refused = rows[6]
    assert refused.call_sid == phone.call_sid
    assert refused.caller_hash and refused.caller_hash == rows[0].caller_hash == rows[8].caller_hash


FAILED_ENTRIES = {
    "bad_check_digit": (with_wrong_check_digit(reference(1)), BIRTH),
    "unknown_reference": (reference(2), BIRTH),
    "wrong_birth_date": (reference(1), "06031984"),
}


@pytest.mark.parametrize("kind", list(FAILED_ENTRIES))
def test_every_kind_of_failure_counts_toward_the_numbers_24_hour_limit(
    app, call, import_cases, time_machine, kind
):
    # A caller who knows a reference must not get unlimited dates of birth by calling again.
    time_machine.move_to("2026-12-01T09:00:00+00:00", tick=False)
    import_cases(case_row())
    typed, born = FAILED_ENTRIES[kind]
    guesser = "+33699990002"
    for _ in range(2):  # two calls, three failures each
        phone = call(caller=guesser)
        turn = look_up(phone, "en", typed, born)
        for _ in range(2):
            phone.press(typed + "#")
            phone.press("1")
            phone.press(born + "#")
            turn = phone.press("1")
        assert "no more applications can be checked during this call" in turn.text
        time_machine.shift(timedelta(hours=1))
    phone = call(caller=guesser)
    walk_to_main_menu(phone, "en")
    assert "cannot be checked from this number" in phone.press("2").text
    with app.app_context():
        outcomes = db.session.scalars(sa.select(CaseLookup.outcome).order_by(CaseLookup.id)).all()
    assert outcomes == [kind] * 6 + ["refused"]


def test_five_failures_still_allow_a_lookup(call, import_cases, two_workers, open_hours):
    import_cases(case_row())
    first, second = two_workers
    fail_three_times(call, first, "+33699990001")
    phone = call(caller="+33699990001", on=second)
    look_up(phone, "en", reference(2), BIRTH)
    phone.press(reference(2) + "#")
    phone.press("1")
    phone.press(BIRTH + "#")
    phone.press("1")  # the fifth failure: a third try is still offered in this call
    phone.press(reference(1) + "#")
    phone.press("1")
    phone.press(BIRTH + "#")
    assert "is being examined" in phone.press("1").text


def fail_in_one_call(call, caller: str, references: list[str], birth: str = BIRTH) -> str:  # type: ignore[no-untyped-def]
    """Fail a lookup of each of `references` (three at most) in one call; return the last answer."""
    phone = call(caller=caller)
    turn = look_up(phone, "en", references[0], birth)
    for typed in references[1:]:
        phone.press(typed + "#")
        phone.press("1")
        phone.press(birth + "#")
        turn = phone.press("1")
    return turn.text


def test_a_numbers_sixth_failure_is_checked_then_it_is_refused_and_both_are_logged(
    app, call, import_cases, open_hours
):
    import_cases(case_row())
    guesser = "+33699990003"
    fail_in_one_call(call, guesser, [reference(2)] * 3)
    fail_in_one_call(call, guesser, [reference(2)] * 2)
    phone = call(caller=guesser)  # five failures: this call may still try
    sixth = look_up(phone, "en", reference(2), BIRTH)
    assert "could not confirm" in sixth.text
    assert "cannot be checked from this number" in sixth.text
    with app.app_context():
        rows = db.session.scalars(sa.select(CaseLookup).order_by(CaseLookup.id)).all()
        assert [row.outcome for row in rows] == ["unknown_reference"] * 6 + ["refused"]
        failure, refusal = rows[5], rows[6]
        assert failure.call_sid == refusal.call_sid == phone.call_sid
        assert failure.caller_hash and failure.caller_hash == refusal.caller_hash
        assert failure.reference_hash and failure.reference_hash == rows[0].reference_hash


def test_a_stranger_hiding_their_number_cannot_lock_other_hidden_callers_out(
    call, import_cases, open_hours
):
    import_cases(case_row())
    guesses = [reference(n) for n in range(10, 16)]
    last = fail_in_one_call(call, "anonymous", guesses[:3])
    assert "no more applications can be checked during this call" in last  # per call, still
    fail_in_one_call(call, "", guesses[3:])
    # Six hidden failures against references not theirs: the owner, also hidden, gets in.
    assert "is being examined" in look_up(call(caller="anonymous"), "en", reference(1), BIRTH).text


def test_six_hidden_failures_on_one_reference_lock_it_for_hidden_callers_only(
    app, call, import_cases, open_hours
):
    import_cases(case_row())
    wrong_birth = "07031984"
    fail_in_one_call(call, "anonymous", [reference(1)] * 3, wrong_birth)
    fail_in_one_call(call, "anonymous", [reference(1)] * 3, wrong_birth)
    locked = call(caller="anonymous")
    hidden = look_up(locked, "en", reference(1), BIRTH)
    assert "cannot be checked from a hidden number" in hidden.text
    assert "press 0" in hidden.text  # an agent instead
    with app.app_context():  # logged against the call refused and the reference it typed
        rows = db.session.scalars(sa.select(CaseLookup).order_by(CaseLookup.id)).all()
        assert [row.outcome for row in rows] == ["wrong_birth_date"] * 6 + ["refused"]
        assert rows[6].call_sid == locked.call_sid
        assert rows[6].reference_hash and rows[6].reference_hash == rows[0].reference_hash
    # A caller showing their number is not affected, nor another reference from a hidden one.
    assert "is being examined" in look_up(call(), "en", reference(1), BIRTH).text
    import_cases(case_row(2))
    assert "is being examined" in look_up(call(caller="anonymous"), "en", reference(2), BIRTH).text


def test_the_lookup_is_logged_but_the_birth_date_never_stored_nor_logged(
    app, call, import_cases, open_hours, caplog
):
    caplog.set_level(logging.DEBUG)
    import_cases(case_row())
    phone = call()
    walk_to_main_menu(phone, "en")
    phone.press("2")
    phone.press(reference(1) + "#")
    phone.press("1")
    phone.press(BIRTH + "#")
    with app.app_context():  # waiting for the confirmation: only a keyed proof is kept
        context = str(db.session.scalar(sa.select(Call.context)))
        assert BIRTH not in context and "1984" not in context
    phone.press("1")
    with app.app_context():
        lookup = db.session.scalar(sa.select(CaseLookup))
        assert lookup.outcome == "found" and lookup.call_sid == phone.call_sid
        assert lookup.caller_hash and lookup.reference_hash  # keyed hashes, kept for the log
        assert reference(1) not in lookup.reference_hash
        stored = [
            str(v) for row in db.session.scalars(sa.select(CaseLookup)) for v in vars(row).values()
        ]
        stored += [e.caller_input for e in db.session.scalars(sa.select(CallEvent))]
        stored += [str(db.session.scalar(sa.select(Call.context)))]
        assert "entry:8" in stored and "entry:10" in stored
    for text in [*stored, caplog.text]:
        assert BIRTH not in text and "1984-03-05" not in text and reference(1) not in text


def test_the_status_can_be_sent_by_sms_once(app, call, import_cases, open_hours):
    import_cases(case_row(status="ready_for_collection", language="fr"))
    phone = call(caller="+34600111222")
    walk_to_main_menu(phone, "es")
    phone.press("2")
    phone.press(reference(1) + "#")
    phone.press("1")
    phone.press(BIRTH + "#")
    turn = phone.press("1")
    assert "Para recibir esta información por SMS, pulse 1." in turn.text
    turn = phone.press("1")
    assert_spoken_in(turn, "es")
    with app.app_context():
        message = db.session.scalar(sa.select(OutboundMessage))
        assert (message.to_number, message.language, message.purpose) == (
            "+34600111222",
            "es",
            "case:lookup",
        )
        assert reference(1) in message.body and "Paris" in message.body
        assert format_date(EXPECTED, "full", locale="es_ES") in message.body


def test_asking_for_the_sms_again_in_the_same_call_sends_no_second_one(
    app, call, import_cases, open_hours
):
    import_cases(case_row(status="ready_for_collection", language="fr"))
    phone = call(caller="+34600111222")
    look_up(phone, "en", reference(1), BIRTH)
    assert "sent you a text message" in phone.press("1").text
    # Back in the main menu: the same case again, and the text message asked for again.
    phone.press("2")
    phone.press(reference(1) + "#")
    phone.press("1")
    phone.press(BIRTH + "#")
    assert "is ready" in phone.press("1").text
    assert "sent you a text message" in phone.press("1").text
    with app.app_context():
        sent = db.session.scalars(
            sa.select(OutboundMessage.purpose).where(OutboundMessage.to_number == "+34600111222")
        ).all()
    assert sent == ["case:lookup"]


def test_a_hidden_caller_is_not_offered_the_sms(call, import_cases, open_hours):
    import_cases(case_row())
    phone = call(caller="anonymous")
    turn = look_up(phone, "en", reference(1), BIRTH)
    assert "text message" not in turn.text and "press 1" not in turn.text


def test_the_agent_sees_the_calls_lookups_and_the_case_found(
    app, call, import_cases, open_hours, log_in
):
    import_cases(case_row(status="awaiting_documents"))
    phone = call()
    look_up(phone, "fr", with_wrong_check_digit(reference(1)), BIRTH)  # a mistyped reference first
    phone.press(reference(1) + "#")
    phone.press("1")
    phone.press(BIRTH + "#")
    phone.press("1")
    assert phone.press("0").enqueue is not None
    with app.app_context():
        ticket = db.session.scalar(sa.select(Ticket).where(Ticket.type == "escalated_call"))
    page = log_in("agent", "fr").get(f"/tickets/{ticket.id}?lang=en").get_data(as_text=True)
    assert "Mistyped reference (check digit)" in page
    assert "Case found" in page and reference(1) in page and "Awaiting documents" in page
    other = call(caller="+33699887766")
    walk_to_main_menu(other, "fr")
    other.press("3")
    other.press("1")
    with app.app_context():
        complaint = db.session.scalar(sa.select(Ticket).where(Ticket.type == "complaint"))
    page = log_in("agent", "fr").get(f"/tickets/{complaint.id}?lang=en").get_data(as_text=True)
    assert "Case found" not in page and "Case lookup" not in page  # no lookup in this call's story
