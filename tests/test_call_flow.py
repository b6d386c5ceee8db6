"""The call, end to end, driven as Twilio drives it: language, notices, menus, feedback, agents."""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from helpers import assert_spoken_in, walk_to_main_menu

from centre import clock, languages, notices
from centre.extensions import db
from centre.messaging import OutboundMessage
from ivr.models import Call, CallerPreference, CallEvent
from tickets import callbacks
from tickets.models import Callback, Recording, Ticket

CODES = languages.CODES


def test_language_menu_offers_each_language_in_its_own_voice(call, open_hours):
    turn = call().dial()
    voices = [(s.voice, s.language) for s in turn.said]
    for language in languages.LANGUAGES:
        assert (language.voice, language.say_language) in voices
    assert turn.gather["input"] == "dtmf speech"
    assert turn.gather["numDigits"] == "1"


@pytest.mark.parametrize(
    ("dialled", "first"),
    [
        ("+34900000000", "es"),
        ("+498000000000", "de"),
        ("+31800000000", "nl"),
        ("+39800000000", "it"),
        ("+448000000000", "en"),
        ("+33805000000", "fr"),
    ],
)
def test_the_dialled_country_puts_its_usual_language_first(call, open_hours, dialled, first):
    turn = call(to=dialled).dial()
    language = languages.get(first)
    assert (turn.said[0].voice, turn.said[0].language) == (language.voice, language.say_language)
    assert turn.gather["language"] == language.speech_language


def test_a_returning_caller_hears_their_last_language_first(app, call, open_hours):
    walk_to_main_menu(call(caller="+33611112222"), "de")
    turn = call(caller="+33611112222").dial()
    assert turn.said[0].voice == languages.get("de").voice
    # Another caller to the same French number still hears French first.
    assert call(caller="+33633334444").dial().said[0].voice == languages.get("fr").voice
    with app.app_context():
        preference = db.session.scalar(sa.select(CallerPreference))
        # Keyed (HMAC), never the number nor a plain, reversible hash of it.
        assert preference.caller_hash != hashlib.sha256(b"+33611112222").hexdigest()
        assert "33611112222" not in preference.caller_hash
        stored = [str(v) for c in db.session.scalars(sa.select(Call)) for v in vars(c).values()]
        assert not any("611112222" in value for value in stored)


@pytest.mark.parametrize(
    ("phrase", "code"),
    [
        ("français", "fr"),
        ("Deutsch", "de"),
        ("english please", "en"),
        ("العربية", "ar"),
        ("español", "es"),
        ("italiano", "it"),
        ("Nederlands", "nl"),
    ],
)
def test_a_caller_can_say_the_language(call, open_hours, phrase, code):
    phone = call()
    phone.dial()
    turn = phone.speak(phrase)
    assert_spoken_in(turn, code)


def test_speech_below_the_confidence_threshold_counts_as_no_input(call, open_hours):
    phone = call()
    phone.dial()
    turn = phone.speak("Deutsch", confidence=0.2)
    assert turn.said[0].voice == languages.get("fr").voice
    assert turn.gather is not None  # asked again, in the first language


@pytest.mark.parametrize("code", CODES)
def test_the_main_menu_speaks_the_chosen_language(call, open_hours, code):
    turn = walk_to_main_menu(call(), code)
    assert_spoken_in(turn, code)
    assert turn.gather["language"] == languages.get(code).speech_language
    assert turn.gather["speechModel"]
    keys = "".join(s.text for s in turn.said)
    for key in ("3", "0", "9"):
        assert key in keys
    if code != "en":
        assert "Main menu" not in turn.text, "the prompt is not translated"


@pytest.mark.parametrize("code", CODES)
@pytest.mark.parametrize(
    ("key", "kind"), [("1", "complaint"), ("2", "suggestion"), ("3", "observation")]
)
def test_feedback_is_recorded_and_its_reference_read_back(app, call, open_hours, code, key, kind):
    phone = call()
    walk_to_main_menu(phone, code)
    assert_spoken_in(phone.press("3"), code)
    turn = phone.press(key)
    assert turn.record is not None and turn.record["finishOnKey"] == "#"
    with app.app_context():
        ticket = db.session.scalar(sa.select(Ticket))
        assert (ticket.type, ticket.language, ticket.has_message) == (kind, code, False)
        reference = ticket.reference
    turn = phone.leave_message()
    assert_spoken_in(turn, code)
    assert ", ".join(reference) in turn.text
    assert turn.gather is not None  # back at the main menu
    assert phone.recording_ready() == 200
    with app.app_context():
        ticket = db.session.scalar(sa.select(Ticket))
        assert ticket.has_message and len(ticket.recordings) == 1
        assert ticket.caller_masked == "+33*******78"


def test_a_caller_who_hangs_up_without_speaking_leaves_a_ticket_marked_without_message(
    app, call, open_hours
):
    phone = call()
    walk_to_main_menu(phone, "fr")
    phone.press("3")
    phone.press("1")
    turn = phone.say_nothing_after_tone()
    assert turn.gather is not None
    with app.app_context():
        ticket = db.session.scalar(sa.select(Ticket))
        assert ticket.type == "complaint" and not ticket.has_message
        assert ", ".join(ticket.reference) in turn.text


def test_a_late_or_repeated_recording_callback_attaches_once(app, call, open_hours):
    phone = call()
    walk_to_main_menu(phone, "en")
    phone.press("3")
    phone.press("2")
    phone.leave_message(recording_sid="RE" + "1" * 32)
    for _ in range(3):
        assert phone.recording_ready() == 200
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Recording)) == 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 1


def test_a_recording_callback_marks_the_ticket_as_a_change_staff_must_see(app, call, open_hours):
    phone = call()
    walk_to_main_menu(phone, "en")
    phone.press("3")
    phone.press("1")
    phone.leave_message(seconds=17, recording_sid="RE" + "3" * 32, url="https://h/r")
    with app.app_context():
        ticket = db.session.scalar(sa.select(Ticket))
        seen, updated = ticket.version, ticket.updated_at
    assert phone.recording_ready() == 200
    with app.app_context():
        ticket = db.session.scalar(sa.select(Ticket))
        # The version moves: a page opened before the message came cannot save over it.
        assert (ticket.has_message, ticket.version) == (True, seen + 1)
        assert ticket.updated_at >= updated
        (recording,) = ticket.recordings
        assert (recording.recording_sid, recording.url, recording.duration) == (
            "RE" + "3" * 32,
            "https://h/r",
            17,
        )


def test_a_recording_for_a_ticket_merged_meanwhile_goes_to_the_one_it_was_merged_into(
    app, call, open_hours
):
    phone = call()
    walk_to_main_menu(phone, "en")
    phone.press("3")
    phone.press("1")
    phone.leave_message()
    other = call(caller="+33699999999")
    walk_to_main_menu(other, "en")
    other.press("3")
    other.press("2")
    with app.app_context():
        first, survivor = db.session.scalars(sa.select(Ticket).order_by(Ticket.id)).all()
        first.merged_into = survivor
        db.session.commit()
        first_id, survivor_id = first.id, survivor.id
    assert phone.recording_ready() == 200
    with app.app_context():
        assert db.session.get(Ticket, survivor_id).has_message
        assert not db.session.get(Ticket, first_id).has_message
        assert db.session.scalar(sa.select(Recording.ticket_id)) == survivor_id


def test_a_recording_callback_for_another_call_is_ignored(app, call, open_hours):
    phone = call()
    walk_to_main_menu(phone, "en")
    phone.press("3")
    phone.press("2")
    phone.leave_message()
    other = call(caller="+33699999999")
    other.dial()
    other.recorder, other.last_recording = (
        phone.recorder,
        {"RecordingSid": "RE" + "2" * 32, "RecordingUrl": "x"},
    )
    assert other.recording_ready() == 200
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Recording)) == 0


@pytest.mark.parametrize("code", CODES)
def test_option_zero_in_opening_hours_queues_the_caller_with_an_escalation_ticket(
    app, call, open_hours, code
):
    phone = call()
    walk_to_main_menu(phone, code)
    turn = phone.press("0")
    assert turn.enqueue["name"] == f"agents-{code}"
    assert_spoken_in(turn, code)
    wait = phone.hold(position=3, waited=20)
    assert_spoken_in(wait, code)
    assert "3" in wait.text
    with app.app_context():
        ticket = db.session.scalar(sa.select(Ticket))
        assert ticket.type == "escalated_call" and ticket.language == code
        assert ticket.ivr_path[0] == {
            "from": "language",
            "input": languages.get(code).digit,
            "to": "welcome",
        }
        assert ticket.ivr_path[-1] == {"from": "main", "input": "0", "to": "agent"}
    phone.leave_queue("bridged")
    phone.hang_up()
    with app.app_context():
        row = db.session.scalar(sa.select(Call))
        assert (row.queue_result, row.outcome) == ("bridged", "escalated")


@pytest.mark.parametrize("code", CODES)
def test_option_zero_when_closed_offers_a_callback_and_confirms_it_by_sms(
    app, call, closed_hours, code
):
    phone = call()
    walk_to_main_menu(phone, code)
    turn = phone.press("0")
    assert_spoken_in(turn, code)
    assert turn.enqueue is None and turn.gather is not None
    turn = phone.press("1")
    assert_spoken_in(turn, code)
    assert turn.hangup
    with app.app_context():
        ticket = db.session.scalar(sa.select(Ticket))
        assert ticket.type == "callback"
        assert ", ".join(ticket.reference) in turn.text
        booked = ticket.callback.scheduled_at.replace(tzinfo=UTC)
        # Saturday 5 December: the next opening is Monday 7 December 08:00 (UTC+0 since
        # 20 September 2026).
        assert booked == datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
        sms = db.session.scalars(sa.select(OutboundMessage)).all()
        assert [(m.channel, m.language, m.to_number) for m in sms] == [
            ("sms", code, "+33612345678")
        ]
        assert ticket.reference in sms[0].body


@pytest.mark.parametrize(
    ("caller", "told"),
    [
        # A French mobile is on Paris time, an hour ahead of Casablanca in December.
        (
            "+33612345678",
            "le lundi 7 décembre 2026 à 08:00 (heure marocaine), soit le lundi 7 décembre 2026 "
            "à 09:00, heure locale.",
        ),
        ("+212612345678", "le lundi 7 décembre 2026 à 08:00 (heure marocaine)."),
    ],
)
def test_the_callback_booked_is_confirmed_by_sms_with_its_time_and_reference(
    app, call, closed_hours, caller, told
):
    phone = call(caller=caller)
    walk_to_main_menu(phone, "fr")
    phone.press("0")
    phone.press("1")
    with app.app_context():
        reference = db.session.scalar(sa.select(Ticket.reference))
        (sms,) = db.session.scalars(sa.select(OutboundMessage)).all()
    assert (sms.to_number, sms.purpose) == (caller, "callback_booked")
    assert sms.body == (
        f"Centre d'appels consulaire : nous vous rappellerons {told} Référence {reference}."
    )


def test_a_callback_booked_by_phone_is_listed_under_the_callers_country_on_the_desk(
    app, call, closed_hours, log_in
):
    phone = call(caller="+33612345678")
    walk_to_main_menu(phone, "fr")
    phone.press("0")
    assert phone.press("1").hangup
    with app.app_context():
        reference = db.session.scalar(sa.select(Ticket.reference))
    supervisor = log_in("supervisor", "", locale="en")
    assert reference in supervisor.get("/tickets/?country=FR").get_data(as_text=True)
    assert reference not in supervisor.get("/tickets/?country=MA").get_data(as_text=True)


def test_a_caller_who_cannot_get_a_callback_time_is_told_so_and_keeps_the_menu(
    app, call, time_machine, monkeypatch
):
    # Tuesday 10:00: a one-day horizon holds two slots of four hours (12:00 and 16:00).
    time_machine.move_to("2026-12-01T09:00:00+00:00", tick=False)
    app.config.update(CALLBACK_SLOT_MINUTES=240, CALLBACK_SLOT_CAPACITY=1)
    monkeypatch.setattr(callbacks, "HORIZON", timedelta(days=1))
    phone = call()
    walk_to_main_menu(phone, "en")
    assert phone.press("0").enqueue is not None
    time_machine.move_to("2026-12-01T09:05:00+00:00", tick=False)
    with app.app_context():  # two callers who asked after this one take both slots
        for n in range(2):
            callbacks.book(f"+3360000000{n}", "fr", "k", datetime.now(UTC))
        db.session.commit()
    # The first caller leaves the queue for a callback, keeping their place: no slot is left.
    turn = phone.leave_queue("leave")
    assert turn.text.startswith(
        "We are sorry, no callback time is free in the next two months, so we cannot book one"
    )
    assert "Main menu." in turn.text and turn.gather is not None
    assert "technical problem" not in turn.text and turn.dial is None
    with app.app_context():  # nothing was booked for this caller, nobody was moved
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Callback)) == 2
        assert not db.session.scalars(sa.select(OutboundMessage)).all()


def test_a_closed_centre_says_when_it_opens_in_moroccan_and_the_callers_time(call, closed_hours):
    phone = call(caller="+33612345678", to="+33805000000")
    turn = walk_to_main_menu(phone, "en")
    # Monday 7 December 08:00 in Casablanca is 09:00 in Paris.
    assert "08:00, Moroccan time" in turn.text and "That is 09:00 your time" in turn.text


def test_a_caller_on_moroccan_time_hears_the_opening_time_once(call, closed_hours):
    phone = call(caller="+442071234567", to="+448000000000")
    turn = walk_to_main_menu(phone, "en")
    # London and Casablanca both keep UTC+0 in December: no second time to give.
    assert "08:00, Moroccan time" in turn.text and "your time" not in turn.text


def test_a_caller_who_waits_too_long_leaves_the_queue_for_a_callback_and_keeps_their_place(
    app, call, time_machine
):
    time_machine.move_to("2026-12-01T19:40:00+00:00", tick=False)  # 19:40 in Casablanca (UTC+0)
    first, second = call(caller="+33600000001"), call(caller="+33600000002")
    for phone in (first, second):
        walk_to_main_menu(phone, "fr")
    first.press("0")
    time_machine.move_to("2026-12-01T19:45:00+00:00", tick=False)
    second.press("0")
    time_machine.move_to("2026-12-01T19:58:00+00:00", tick=False)
    # The second caller gives up first and asks for a callback from the wait page.
    wait = second.hold(position=2, waited=780)
    assert wait.gather is not None
    choice = second.request(wait.gather["action"], Digits="1")
    assert choice.leave
    second.leave_queue("leave")
    time_machine.move_to("2026-12-01T19:59:00+00:00", tick=False)
    first.hold(position=1, waited=1140)
    first.request(first.turn.gather["action"], Digits="1")
    first.leave_queue("leave")
    with app.app_context():
        order = [
            (c.ticket.caller_masked, c.priority_at)
            for c in db.session.scalars(
                sa.select(Callback).order_by(Callback.scheduled_at, Callback.priority_at)
            )
        ]
        assert [masked for masked, _ in order] == ["+33*******01", "+33*******02"]


def test_a_full_queue_offers_a_callback(app, call, open_hours):
    app.config["QUEUE_MAX_LENGTH"] = 1
    walk_to_main_menu(first := call(caller="+33600000001"), "en")
    first.press("0")
    phone = call(caller="+33600000002")
    walk_to_main_menu(phone, "en")
    turn = phone.press("0")
    assert turn.enqueue is None and turn.gather is not None
    assert "busy" in turn.text


def test_a_hidden_number_cannot_book_a_callback(call, closed_hours):
    phone = call(caller="anonymous")
    walk_to_main_menu(phone, "en")
    turn = phone.press("0")
    assert "hidden" in turn.text
    assert turn.gather is not None


@pytest.mark.parametrize("code", CODES)
def test_wrong_keys_are_explained_twice_then_the_caller_is_put_through(app, call, open_hours, code):
    phone = call()
    walk_to_main_menu(phone, code)
    first = phone.press("7")
    assert first.gather is not None
    second = phone.silence()
    assert second.gather is not None
    assert first.said[0].text != second.said[0].text  # "not a choice" vs "did not hear you"
    third = phone.press("8")
    assert third.enqueue is not None
    assert_spoken_in(third, code)


def test_silence_at_the_language_menu_ends_with_an_agent_in_the_first_language(call, open_hours):
    phone = call(to="+34900000000")
    phone.dial()
    phone.silence()
    phone.silence()
    turn = phone.silence()
    assert turn.enqueue["name"] == "agents-es"


def test_no_input_when_closed_offers_a_callback_and_never_a_dead_end(call, closed_hours):
    phone = call()
    walk_to_main_menu(phone, "en")
    for _ in range(3):
        turn = phone.silence()
    assert turn.gather is not None and "called back" in turn.text
    for _ in range(3):
        turn = phone.silence()
    assert turn.hangup and "Goodbye" in turn.text


def test_star_repeats_and_nine_changes_language(call, open_hours):
    phone = call()
    menu = walk_to_main_menu(phone, "en")
    again = phone.press("*")
    assert again.text == menu.text
    languages_menu = phone.press("9")
    assert len({s.voice for s in languages_menu.said}) == 7
    assert_spoken_in(phone.press("6"), "de")


def test_a_notice_is_played_after_the_language_choice_to_callers_in_its_scope(
    app, call, open_hours
):
    now = clock.now()  # frozen by open_hours
    with app.app_context():
        texts = {
            code: f"[{code}] Visa services are suspended until Saturday 8 February."
            for code in CODES
        }
        notices.add_notice(
            now - timedelta(hours=1), now + timedelta(days=3), texts, countries=["ES"]
        )
        texts = {code: f"[{code}] O'Brien & <maintenance>" for code in CODES}
        notices.add_notice(now + timedelta(days=1), now + timedelta(days=2), texts)
        db.session.commit()
    spain = walk_to_main_menu(call(to="+34900000000"), "es")
    assert spain.said[0].text == "[es] Visa services are suspended until Saturday 8 February."
    france = walk_to_main_menu(call(to="+33805000000"), "fr")
    assert "Visa" not in france.text and "maintenance" not in france.text


def test_a_replayed_step_moves_the_call_once(app, call, open_hours):
    phone = call()
    walk_to_main_menu(phone, "fr")
    action = phone.turn.gather["action"]
    first = phone.request(action, Digits="3")
    replay = phone.request(action, Digits="3")
    assert replay.text == first.text
    replay = phone.request(action, Digits="0")  # the same step, other digits: still a replay
    assert replay.text == first.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(CallEvent)) == 2


def test_a_replayed_feedback_choice_opens_one_ticket(app, call, open_hours):
    phone = call()
    walk_to_main_menu(phone, "fr")
    phone.press("3")
    action = phone.turn.gather["action"]
    phone.request(action, Digits="1")
    phone.request(action, Digits="1")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 1


def test_the_status_callback_records_the_outcome_once(app, call, open_hours):
    phone = call()
    walk_to_main_menu(phone, "nl")
    assert phone.hang_up(duration=42) == 200
    assert phone.hang_up(duration=99) == 200
    with app.app_context():
        row = db.session.scalar(sa.select(Call))
        assert (row.status, row.duration, row.outcome, row.language, row.country) == (
            "completed",
            42,
            "self_service",
            "nl",
            "FR",
        )


def test_hanging_up_in_the_queue_counts_as_abandoned(app, call, open_hours):
    phone = call()
    walk_to_main_menu(phone, "de")
    phone.press("0")
    phone.hang_up()
    with app.app_context():
        row = db.session.scalar(sa.select(Call))
        assert (row.outcome, row.queue_result) == ("abandoned", "hangup")
        assert row.queue_left_at is not None


def test_a_step_for_an_unknown_call_starts_it_afresh(call, open_hours):
    phone = call()
    turn = phone.request("/ivr/step?s=5&l=fr", Digits="1")
    assert len({s.voice for s in turn.said}) == 7


def test_one_call_can_alternate_between_two_app_instances(make_app, app, call, open_hours):
    other = make_app()
    phone = call()
    phone.dial()
    steps = [("2", app), ("3", other), ("1", app)]
    for digit, instance in steps:
        phone.transport = type(phone.transport)(instance)
        phone.press(digit)
    phone.transport = type(phone.transport)(other)
    turn = phone.leave_message()
    assert turn.gather is not None
    with app.app_context():
        ticket = db.session.scalar(sa.select(Ticket))
        assert (
            ticket.type == "complaint" and ticket.language == "fr" and ticket.has_message is False
        )
    phone.transport = type(phone.transport)(app)
    phone.recording_ready()
    with other.app_context():
        assert db.session.scalar(sa.select(Ticket)).has_message


@pytest.mark.parametrize(
    ("phrase", "lands_on"),
    [("back", "main"), ("call me back please", "callback"), ("main menu", "main")],
)
def test_speech_at_the_callback_offer_picks_the_choice_said(
    app, call, closed_hours, phrase, lands_on
):
    phone = call()
    walk_to_main_menu(phone, "en")
    phone.press("0")
    turn = phone.speak(phrase)
    with app.app_context():
        assert db.session.scalar(sa.select(Call.node)) == (
            "goodbye" if lands_on == "callback" else "main"
        )
    assert turn.gather is not None or turn.hangup


@pytest.mark.parametrize(
    ("code", "phrase"),
    [
        ("fr", "je voudrais faire une réclamation"),
        ("de", "ich möchte mich beschweren"),
        ("es", "quiero poner una queja"),
        ("en", "I want to make a complaint"),
        ("nl", "ik heb een klacht"),
        ("it", "vorrei fare un reclamo"),
        ("ar", "عندي شكاية"),
    ],
)
def test_a_caller_can_say_what_they_want_at_the_main_menu(app, call, open_hours, code, phrase):
    phone = call()
    walk_to_main_menu(phone, code)
    turn = phone.speak(phrase)
    assert_spoken_in(turn, code)
    with app.app_context():
        assert db.session.scalar(sa.select(Call.node)) == "feedback"


@pytest.fixture
def server_in_honolulu(monkeypatch):
    """Run the test with the server's own clock on Honolulu time (UTC-10)."""
    monkeypatch.setenv("TZ", "Pacific/Honolulu")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize(
    ("caller", "told"),
    [
        (
            "+33612345678",
            "le lundi 7 décembre 2026 à 08:00 (heure marocaine), soit le lundi 7 décembre 2026 "
            "à 09:00, heure locale.",
        ),
        ("+212612345678", "le lundi 7 décembre 2026 à 08:00 (heure marocaine)."),
    ],
)
def test_the_callback_date_texted_is_the_callers_whatever_the_servers_time_zone(
    app, call, closed_hours, server_in_honolulu, caller, told
):
    # Monday 08:00 in Casablanca (09:00 in Paris) is still Sunday evening in Honolulu.
    phone = call(caller=caller)
    walk_to_main_menu(phone, "fr")
    phone.press("0")
    phone.press("1")
    with app.app_context():
        reference = db.session.scalar(sa.select(Ticket.reference))
        (sms,) = db.session.scalars(sa.select(OutboundMessage)).all()
    assert sms.body == (
        f"Centre d'appels consulaire : nous vous rappellerons {told} Référence {reference}."
    )


@pytest.mark.parametrize(
    ("caller", "told"),
    [
        (
            "+33612345678",
            "le lundi 7 septembre 2026 à 08:00 (heure marocaine), soit le lundi 7 septembre "
            "2026 à 09:00, heure locale.",
        ),
        ("+212612345678", "le lundi 7 septembre 2026 à 08:00 (heure marocaine)."),
    ],
)
def test_a_callback_booked_while_morocco_is_on_utc_plus_one_is_texted_in_its_time(
    app, call, time_machine, caller, told
):
    # Saturday 5 September 2026, 11:00 in Casablanca (UTC+1 until 20 September): the next
    # opening is Monday 7 September 08:00 there, 07:00 UTC, 09:00 in Paris.
    time_machine.move_to("2026-09-05T10:00:00+00:00", tick=False)
    phone = call(caller=caller)
    walk_to_main_menu(phone, "fr")
    phone.press("0")
    phone.press("1")
    with app.app_context():
        reference = db.session.scalar(sa.select(Ticket.reference))
        booked = db.session.scalar(sa.select(Callback.scheduled_at))
        (sms,) = db.session.scalars(sa.select(OutboundMessage)).all()
    assert booked == datetime(2026, 9, 7, 7, 0)
    assert sms.body == (
        f"Centre d'appels consulaire : nous vous rappellerons {told} Référence {reference}."
    )
