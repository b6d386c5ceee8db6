"""The supervisors' live floor: queues, agents, stages, alerts and today's figures, as calls go."""

from __future__ import annotations

from datetime import datetime

import pytest
from helpers import post_form, walk_to_main_menu

from centre import settings
from centre.clock import CENTRE_TZ, to_storage
from centre.extensions import db
from reports import floor
from tickets import callbacks
from tickets.models import Ticket


def floor_json(client, locale: str = "en"):  # type: ignore[no-untyped-def]
    """Return the wallboard's refresh as the page's script reads it."""
    response = client.get(f"/reports/floor.json?lang={locale}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    return response.get_json()


def queue_caller(call, number: str, code: str = "fr"):  # type: ignore[no-untyped-def]
    """Place a call that asks for an agent in `code` and waits in the queue."""
    phone = call(caller=number)
    walk_to_main_menu(phone, code)
    turn = phone.press("0")
    assert turn.enqueue and turn.enqueue["name"] == f"agents-{code}"
    return phone


@pytest.fixture
def floor_day(app, call, log_in, time_machine):  # type: ignore[no-untyped-def]
    """A morning on the floor: two French callers queued, one taken by the only French agent."""
    time_machine.move_to("2026-12-01T10:00:00+00:00", tick=False)
    french_agent = log_in("agent", "fr", phone="+212600000002", email="amina@example.org")
    log_in("agent", "ar nl", email="youssef@example.org")  # away: never marked available
    supervisor = log_in("supervisor", "", locale="en")
    first = queue_caller(call, "+33612340001")
    second = queue_caller(call, "+33612340002")
    arabic = call(caller="+212612340003")
    walk_to_main_menu(arabic, "ar")  # listening to the main menu
    served = call(caller="+32470000004")
    walk_to_main_menu(served, "nl")
    served.hang_up()  # helped by the menu alone
    time_machine.move_to("2026-12-01T10:03:00+00:00", tick=False)
    post_form(french_agent, "/tickets/availability", {"available": "1"}, page="/tickets/")
    taken = post_form(french_agent, "/tickets/take-call", {}, page="/tickets/")
    assert taken.status_code == 302
    return {"supervisor": supervisor, "agent": french_agent, "first": first, "second": second}


def test_the_wallboard_shows_who_waits_who_answers_and_where_callers_are(app, floor_day):
    seen = floor_json(floor_day["supervisor"])
    cells = seen["cells"]
    # One French caller is with the agent, the other still waits since 10:00.
    assert cells["fr.waiting"] == "1" and cells["fr.longest"] == "3:00"
    assert cells["fr.target"] == "2:00"
    assert cells["fr.available"] == "0" and cells["fr.on_call"] == "1"
    assert cells["ar.away"] == "1" and cells["nl.away"] == "1" and cells["ar.waiting"] == "0"
    assert cells["fr.stage.agent"] == "1" and cells["fr.stage.queue"] == "1"
    assert cells["ar.stage.menu"] == "1" and cells["nl.stage.menu"] == "0"
    assert (cells["stage.menu"], cells["stage.queue"], cells["stage.agent"]) == ("1", "1", "1")
    assert cells["calls"] == "4"
    assert cells["self_service"] == "100%"  # the only call that ended was served by the menu
    assert cells["satisfaction"] == "no answers yet"
    assert cells["updated"] == "Updated at 10:03:00"
    assert seen["alerts"] == [
        "French: the longest wait is 3:00, over the target of 2:00.",
        "French: no agent available, callers waiting: 1.",
    ]
    rows = {agent["cells"][0]: agent for agent in seen["agents"]}
    assert rows["amina@example.org"]["state"] == "on_call"
    assert rows["amina@example.org"]["cells"][1:5] == ["On a call", "French", "1", "1"]
    assert rows["youssef@example.org"]["cells"][1:3] == ["Away", "Arabic and Dutch"]


def test_the_floor_follows_callers_as_they_hang_up_and_the_agent_finishes(
    app, floor_day, time_machine
):
    time_machine.move_to("2026-12-01T10:08:00+00:00", tick=False)
    floor_day["first"].leave_queue("bridged", waited=180)
    floor_day["first"].hang_up()
    floor_day["second"].hang_up()  # gave up in the queue
    seen = floor_json(floor_day["supervisor"])
    cells = seen["cells"]
    assert (cells["fr.waiting"], cells["fr.longest"], cells["fr.on_call"]) == ("0", "–", "0")
    assert cells["fr.available"] == "1"
    assert cells["abandonment"] == "50%"  # of the two who queued, one hung up waiting
    assert cells["within_target"] == "0%"  # the one answered waited three minutes
    assert seen["alerts"] == []
    amina = next(a for a in seen["agents"] if a["cells"][0] == "amina@example.org")
    # Taken at 10:03, the caller's call ended at 10:08: five minutes of handling.
    assert amina["state"] == "available" and amina["cells"][5] == "5:00"


def test_the_wallboard_counts_callbacks_due_within_the_hour_and_deadlines_missed_today(
    app, log_in, open_hours
):
    with app.app_context():
        soon = callbacks.book(
            "+33600000009", "es", "k", datetime(2026, 12, 1, 10, tzinfo=CENTRE_TZ)
        )
        callbacks.book("+33600000008", "es", "k", datetime(2026, 12, 1, 10, tzinfo=CENTRE_TZ))
        late = db.session.get(Ticket, soon.id)
        late.due_at = to_storage(datetime(2026, 12, 1, 9, tzinfo=CENTRE_TZ))
        db.session.commit()
    seen = floor_json(log_in("supervisor", "", locale="en"))
    assert seen["cells"]["es.callbacks"] == "2" and seen["cells"]["fr.callbacks"] == "0"
    assert seen["cells"]["breached"] == "1"
    assert seen["alerts"] == ["Tickets past their deadline today without an answer: 1."]


def test_a_calls_end_never_reported_leaves_the_floor_after_hours(app, call, log_in, time_machine):
    time_machine.move_to("2026-12-01T08:00:00+00:00", tick=False)
    walk_to_main_menu(call(), "fr")
    supervisor = log_in("supervisor", "", locale="en")
    assert floor_json(supervisor)["cells"]["fr.stage.menu"] == "1"
    time_machine.move_to("2026-12-01T12:30:00+00:00", tick=False)  # four hours and a half on
    supervisor = log_in("supervisor", "", locale="en")  # the first session has lapsed
    assert floor_json(supervisor)["cells"]["fr.stage.menu"] == "0"


def test_each_language_has_its_own_wait_target(app, call, log_in, time_machine):
    time_machine.move_to("2026-12-01T10:00:00+00:00", tick=False)
    app.config["QUEUE_WAIT_TARGETS"] = settings.wait_targets("ar=300", 120)
    queue_caller(call, "+212612340001", "ar")
    queue_caller(call, "+33612340002", "fr")
    time_machine.move_to("2026-12-01T10:03:00+00:00", tick=False)
    seen = floor_json(log_in("supervisor", "", locale="en"))
    assert seen["cells"]["ar.target"] == "5:00"
    assert "Arabic: the longest wait" not in " ".join(seen["alerts"])
    assert "French: the longest wait is 3:00, over the target of 2:00." in seen["alerts"]


def test_wait_targets_refuse_what_is_not_a_language_and_seconds() -> None:
    assert settings.wait_targets("ar=90, fr=60", 120)["ar"] == 90
    assert settings.wait_targets("", 120)["de"] == 120
    for wrong in ("xx=90", "ar=soon", "ar=0", "ar"):
        with pytest.raises(settings.ConfigurationError):
            settings.wait_targets(wrong, 120)


def test_the_wallboard_page_reads_in_arabic_right_to_left_and_only_for_supervisors(
    app, log_in, open_hours
):
    page = log_in("supervisor", "", locale="ar").get("/reports/floor").get_data(as_text=True)
    assert 'dir="rtl"' in page and "المتابعة المباشرة" in page and "المتصلون في الانتظار" in page
    assert "لا إجابات بعد" in page
    agent = log_in("agent", "fr")
    assert agent.get("/reports/floor").status_code == 403
    assert agent.get("/reports/floor.json").status_code == 403


@pytest.mark.parametrize(
    "node, stage",
    [("main", "menu"), ("guide_answer", "guide"), ("case_lookup", "case"), ("language", "menu")],
)
def test_each_node_of_the_call_belongs_to_a_stage(node: str, stage: str) -> None:
    assert floor.stage_of(node) == stage


def test_no_target_alert_while_nobody_waits() -> None:
    line = floor.LanguageFloor("fr", 120, waiting=0, longest_wait=None, available=0)
    assert floor.alerts([line], 0) == []
    line.waiting, line.longest_wait = 1, 121
    assert [a.kind for a in floor.alerts([line], 0)] == ["wait_over_target", "no_agent"]
    line.available = 1
    line.longest_wait = 120
    assert floor.alerts([line], 0) == []
