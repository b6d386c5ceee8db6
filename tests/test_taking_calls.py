"""Taking a queued caller: that caller is put through, one take at a time, only while available."""

from __future__ import annotations

import threading
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from conftest import TOKEN, TWILIO_SID
from helpers import audit_rows, csrf_token, post_form
from helpers import log_in as submit

from centre import jobs
from centre.extensions import db
from centre.messaging import OutboundMessage
from ivr import driver
from ivr.models import Call
from staff.models import StaffUser
from tickets.models import Ticket

API = f"https://api.twilio.com/2010-04-01/Accounts/{TWILIO_SID}"
QUEUE_SID = "QU" + "7" * 32


def queue_callers(call, *numbers: str):  # type: ignore[no-untyped-def]
    """Put French callers in the agents' queue, in order; return their phones."""
    phones = []
    for number in numbers:
        phone = call(caller=number)
        phone.dial()
        phone.press("2")
        assert phone.press("0").enqueue["name"] == "agents-fr"
        phones.append(phone)
    return phones


def escalated(app, phone) -> int:  # type: ignore[no-untyped-def]
    """Return the id of the call-for-an-agent ticket of `phone`'s call."""
    with app.app_context():
        return db.session.scalars(
            sa.select(Ticket.id).where(
                Ticket.call_sid == phone.call_sid, Ticket.type == "escalated_call"
            )
        ).one()


def agent_leg(app):  # type: ignore[no-untyped-def]
    """Return the URL the agent's phone fetches when answered (the last call placed)."""
    with app.app_context():
        placed = db.session.scalars(
            sa.select(OutboundMessage)
            .where(OutboundMessage.purpose == "queued_call")
            .order_by(OutboundMessage.id.desc())
        ).first()
        return placed.url


def answer(call, url: str):  # type: ignore[no-untyped-def]
    """The agent answers their phone: Twilio fetches `url` on the agent's leg."""
    leg = call(caller="+212600000002", to="+33700000000")
    leg.call_sid = "CA" + "a" * 32
    return leg.request(url)


@pytest.fixture
def available_agent(log_in, open_hours):  # type: ignore[no-untyped-def]
    """Return a French agent, logged in with a phone and available for calls."""
    agent = log_in("agent", "fr", phone="+212600000002", locale="en")
    post_form(agent, "/tickets/availability", {"available": "1"}, page="/tickets/")
    return agent


def test_the_agent_is_put_through_to_the_caller_they_took_not_the_front_of_the_queue(
    app, call, available_agent, open_hours, twilio_api
):
    front, chosen = queue_callers(call, "+33612340001", "+33612340002")
    ticket_id = escalated(app, chosen)
    taken = post_form(
        available_agent, "/tickets/take-call", {"ticket": str(ticket_id)}, page="/tickets/"
    )
    assert taken.headers["Location"] == f"/tickets/{ticket_id}"  # the ticket on screen is theirs
    twilio_api.get(
        f"{API}/Queues.json",
        json={
            "queues": [{"sid": QUEUE_SID, "friendly_name": "agents-fr", "account_sid": TWILIO_SID}],
            "next_page_uri": None,
            "page": 0,
            "page_size": 1000,
        },
    )
    member = f"{API}/Queues/{QUEUE_SID}/Members/{chosen.call_sid}.json"
    twilio_api.post(member, json={"call_sid": chosen.call_sid, "queue_sid": QUEUE_SID})

    agent = answer(call, agent_leg(app))

    with app.app_context():
        reference = db.session.get(Ticket, ticket_id).reference
    assert agent.text == f"Connecting you to the caller of ticket {' '.join(reference)}."
    assert agent.dial == f"desk-{ticket_id}"
    moved = [c.request for c in twilio_api.calls if c.request.method == "POST"]
    assert [urlsplit(r.url).path for r in moved] == [urlsplit(member).path]
    join = parse_qs(str(moved[0].body))["Url"][0]
    caller = chosen.taken_out_of_queue(join)
    assert caller.text == "Nous vous mettons en relation avec un agent."
    assert caller.dial == f"desk-{ticket_id}"
    # Twilio also posts the queue's action at once (QueueResult=redirected): that answer, too,
    # takes the caller to their agent, never to "all our agents are busy".
    assert chosen.dequeued is not None and chosen.dequeued.dial == f"desk-{ticket_id}"
    assert "occupés" not in chosen.dequeued.text
    with app.app_context():
        left = db.session.execute(
            sa.select(Call.queue_result, Call.node).where(Call.call_sid == chosen.call_sid)
        ).one()
    assert tuple(left) == ("bridged", "put_through")
    # The front caller still waits, and is the only one counted.
    seen = available_agent.get("/tickets/waiting").get_json()
    assert seen["waiting"] == 1 and [c["ticket"] for c in seen["callers"]] == [
        escalated(app, front)
    ]


def test_a_caller_who_hung_up_before_the_agent_answered_is_not_put_through(
    app, call, available_agent, open_hours
):
    (caller,) = queue_callers(call, "+33612340001")
    post_form(available_agent, "/tickets/take-call", {}, page="/tickets/")
    caller.leave_queue("hangup")
    caller.hang_up()
    agent = answer(call, agent_leg(app))
    assert agent.text == "This caller is no longer waiting." and agent.hangup


def test_an_agent_whose_phone_rings_takes_nobody_else_until_it_rings_out(
    app, call, available_agent, log_in, open_hours, time_machine
):
    queue_callers(call, "+33612340001", "+33612340002")
    post_form(available_agent, "/tickets/take-call", {}, page="/tickets/")
    seen = available_agent.get("/tickets/waiting").get_json()
    assert (seen["ringing"], seen["waiting"]) == (True, 1)
    again = post_form(available_agent, "/tickets/take-call", {}, page="/tickets/")
    assert again.headers["Location"] == "/tickets/"
    page = available_agent.get("/tickets/").get_data(as_text=True)
    assert "Your phone is already ringing for a caller: answer it first." in page
    # Another agent is not offered the caller being rung for.
    other = log_in("agent", "fr", phone="+212600000005", locale="en")
    post_form(other, "/tickets/availability", {"available": "1"}, page="/tickets/")
    assert [c["ticket"] for c in other.get("/tickets/waiting").get_json()["callers"]] == [
        seen["callers"][0]["ticket"]
    ]
    # Unanswered for a minute: the caller waits for anyone again, and the agent is free.
    time_machine.move_to("2026-12-01T10:01:01+00:00", tick=False)
    seen = available_agent.get("/tickets/waiting").get_json()
    assert (seen["ringing"], seen["waiting"]) == (False, 2)
    assert post_form(available_agent, "/tickets/take-call", {}, page="/tickets/").status_code == 302
    assert available_agent.get("/tickets/waiting").get_json()["ringing"] is True


def available(app, member) -> bool:  # type: ignore[no-untyped-def]
    """Tell whether the account is marked available for calls."""
    with app.app_context():
        return db.session.get(StaffUser, member.id).available


def test_logging_out_ends_the_agents_availability(app, available_agent, log_in, open_hours):
    log_in("agent", "fr")  # a colleague's session does not keep this agent available
    assert available(app, available_agent.member)
    post_form(available_agent, "/staff/logout", {}, page="/tickets/")
    assert not available(app, available_agent.member)


def test_an_expired_session_ends_availability_even_if_the_agent_never_comes_back(
    app, available_agent, log_in, open_hours, time_machine
):
    available_agent.get("/tickets/waiting", headers={"X-Desk-Poll": "1"})
    # The queue page polls every few seconds: that is not the agent at work.
    for minute in range(1, 32):
        time_machine.move_to(f"2026-12-01T10:{minute:02d}:00+00:00", tick=False)
        polled = available_agent.get("/tickets/waiting", headers={"X-Desk-Poll": "1"})
    assert polled.status_code == 302  # idle for 30 minutes: logged out
    assert not available(app, available_agent.member)
    # An agent who simply closed the browser is released by the scheduled sweep.
    gone = log_in("agent", "fr", phone="+212600000006")
    post_form(gone, "/tickets/availability", {"available": "1"}, page="/tickets/")
    time_machine.move_to("2026-12-01T11:05:00+00:00", tick=False)
    with app.app_context():
        jobs.run_scheduled("release-departed-agents")
    assert not available(app, gone.member)


def sweep_at(app, moment: str, time_machine) -> None:  # type: ignore[no-untyped-def]
    """Run the scheduled release of departed agents at `moment` (UTC, Casablanca's time)."""
    time_machine.move_to(f"2026-12-01T{moment}+00:00", tick=False)
    with app.app_context():
        jobs.run_scheduled("release-departed-agents")


def test_the_sweep_keeps_an_agent_for_thirty_idle_minutes_and_releases_them_a_second_later(
    app, available_agent, open_hours, time_machine
):
    # Logged in and made available at 10:00:00, then nothing: 30 minutes idle is still a session.
    sweep_at(app, "10:30:00", time_machine)
    assert available(app, available_agent.member)
    sweep_at(app, "10:30:01", time_machine)
    assert not available(app, available_agent.member)


def test_the_sweep_releases_the_agent_who_left_while_a_colleague_is_still_at_work(
    app, available_agent, log_in, open_hours, time_machine
):
    colleague = log_in("agent", "fr", phone="+212600000006")
    post_form(colleague, "/tickets/availability", {"available": "1"}, page="/tickets/")
    time_machine.move_to("2026-12-01T10:20:00+00:00", tick=False)
    assert colleague.get("/tickets/").status_code == 200  # the colleague works on
    sweep_at(app, "10:30:01", time_machine)  # the first agent: 30 minutes and a second idle
    assert not available(app, available_agent.member)
    assert available(app, colleague.member)


def test_the_sweep_releases_an_agent_at_work_once_their_session_is_twelve_hours_old(
    app, available_agent, open_hours, time_machine
):
    for hour in range(10, 22):  # at work all day, a page every twenty minutes
        for minute in (0, 20, 40):
            time_machine.move_to(f"2026-12-01T{hour}:{minute:02d}:00+00:00", tick=False)
            assert available_agent.get("/tickets/").status_code == 200
    sweep_at(app, "22:00:00", time_machine)  # logged in twelve hours ago, to the second
    assert available(app, available_agent.member)
    sweep_at(app, "22:00:01", time_machine)
    assert not available(app, available_agent.member)


def test_logging_out_of_one_machine_keeps_the_agent_available_until_the_last_one(
    app, available_agent, open_hours
):
    member = available_agent.member
    laptop = app.test_client()
    assert submit(laptop, member.email, member.password).status_code == 302
    post_form(laptop, "/staff/logout", {}, page="/tickets/")
    assert available(app, member)  # still at the desk
    post_form(available_agent, "/staff/logout", {}, page="/tickets/")
    assert not available(app, member)  # the laptop's ended session does not keep them


def on_the_floor(supervisor, email: str):  # type: ignore[no-untyped-def]
    """Return the French "available" count and `email`'s row as the supervisors' floor shows them."""
    seen = supervisor.get("/reports/floor.json?lang=en").get_json()
    rows = {agent["cells"][0]: agent["cells"][1] for agent in seen["agents"]}
    return seen["cells"]["fr.available"], rows.get(email)


def account_form(role: str = "agent", languages=("fr",), active: bool = True):  # type: ignore[no-untyped-def]
    """Return the admin's account form for the available agent, as the page posts it."""
    form = {"action": "account", "role": role, "languages": list(languages), "locale": "en"}
    form["phone"] = "+212600000002"
    return {**form, "active": "on"} if active else form


def test_an_agent_disabled_while_available_comes_back_away_and_the_log_says_who_did_it(
    app, available_agent, log_in
):
    admin = log_in("admin", "", locale="en", email="chief@example.org")
    supervisor = log_in("supervisor", "", locale="en")
    agent = available_agent.member.email
    page = f"/staff/users/{available_agent.member.id}"
    assert on_the_floor(supervisor, agent) == ("1", "Available")
    assert post_form(admin, page, account_form(active=False)).status_code == 302
    assert on_the_floor(supervisor, agent) == ("0", None)  # a disabled account is not on the floor
    assert available_agent.get("/tickets/waiting").status_code == 302  # and is logged out
    assert post_form(admin, page, account_form()).status_code == 302
    # Back in service, the agent is away until they say again that they take calls.
    assert on_the_floor(supervisor, agent) == ("0", "Away")
    read = supervisor.get("/staff/audit?action=user.").get_data(as_text=True)
    assert audit_rows(read)[:3] == [
        ("chief@example.org", "Account changed", f"Account {agent}", "active: no → yes"),
        (
            "chief@example.org",
            "Availability for calls changed",
            f"Account {agent}",
            "available for calls: yes → no",
        ),
        ("chief@example.org", "Account changed", f"Account {agent}", "active: yes → no"),
    ]


def test_an_admin_changing_an_available_agents_languages_leaves_them_at_work(
    app, available_agent, log_in
):
    admin = log_in("admin", "", locale="en")
    supervisor = log_in("supervisor", "", locale="en")
    page = f"/staff/users/{available_agent.member.id}"
    assert post_form(admin, page, account_form(languages=("fr", "ar"))).status_code == 302
    assert available_agent.get("/tickets/waiting").get_json()["available"] is True
    assert on_the_floor(supervisor, available_agent.member.email) == ("1", "Available")


def test_an_agent_given_another_role_must_say_again_that_they_take_calls(
    app, call, available_agent, log_in
):
    admin = log_in("admin", "", locale="en", email="chief@example.org")
    supervisor = log_in("supervisor", "", locale="en")
    agent = available_agent.member.email
    page = f"/staff/users/{available_agent.member.id}"
    # Made an editor for a week of guide work, then an agent again: still logged in all along.
    assert post_form(admin, page, account_form(role="editor")).status_code == 302
    assert post_form(admin, page, account_form(role="agent")).status_code == 302
    assert available_agent.get("/tickets/waiting").get_json()["available"] is False
    assert on_the_floor(supervisor, agent) == ("0", "Away")
    queue_callers(call, "+33612340001")
    refused = available_agent.post(
        "/tickets/take-call", data={"csrf_token": csrf_token(available_agent, "/tickets/")}
    )
    assert refused.status_code == 302
    assert "Mark yourself available first." in available_agent.get("/tickets/").get_data(
        as_text=True
    )
    read = supervisor.get("/staff/audit?action=user.").get_data(as_text=True)
    assert audit_rows(read)[:3] == [
        ("chief@example.org", "Role changed", f"Account {agent}", "role: Editor → Agent"),
        (
            "chief@example.org",
            "Availability for calls changed",
            f"Account {agent}",
            "available for calls: yes → no",
        ),
        ("chief@example.org", "Role changed", f"Account {agent}", "role: Agent → Editor"),
    ]


def test_the_desk_webhooks_answer_only_twilio(app, client):
    url = "http://localhost/ivr/desk/join?t=1"
    form = {"CallSid": "CA" + "b" * 32}
    assert client.post(url, data=form).status_code == 403
    signed = {"X-Twilio-Signature": driver.sign(TOKEN, url, form)}
    assert "<Hangup" in client.post(url, data=form, headers=signed).get_data(as_text=True)


def test_an_agent_talking_to_a_caller_takes_the_next_one_only_when_that_call_ends(
    app, call, available_agent, open_hours
):
    first, _ = queue_callers(call, "+33612340001", "+33612340002")
    post_form(available_agent, "/tickets/take-call", {}, page="/tickets/")
    answer(call, agent_leg(app))  # no credentials: nothing leaves, the caller is put through
    first.taken_out_of_queue(f"/ivr/desk/join?t={escalated(app, first)}")
    seen = available_agent.get("/tickets/waiting").get_json()
    assert (seen["ringing"], seen["on_call"], seen["waiting"]) == (False, True, 1)
    busy = post_form(available_agent, "/tickets/take-call", {}, page="/tickets/")
    assert busy.headers["Location"] == "/tickets/"
    page = available_agent.get("/tickets/").get_data(as_text=True)
    assert "You are on a call with a caller: finish it first." in page
    first.hang_up()
    assert available_agent.get("/tickets/waiting").get_json()["on_call"] is False
    taken = post_form(available_agent, "/tickets/take-call", {}, page="/tickets/")
    assert (
        taken.headers["Location"].startswith("/tickets/")
        and taken.headers["Location"] != "/tickets/"
    )


def test_an_agent_who_does_not_answer_gives_the_caller_back_at_once(
    app, call, client, available_agent, open_hours
):
    queue_callers(call, "+33612340001")
    post_form(available_agent, "/tickets/take-call", {}, page="/tickets/")
    assert available_agent.get("/tickets/waiting").get_json()["waiting"] == 0
    with app.app_context():
        message_id = db.session.scalars(
            sa.select(OutboundMessage.id).where(OutboundMessage.purpose == "queued_call")
        ).one()
    url = f"http://localhost/ivr/outbox/{message_id}/status"
    form = {"AccountSid": TWILIO_SID, "CallSid": "CA" + "c" * 32, "CallStatus": "no-answer"}
    reported = client.post(
        url, data=form, headers={"X-Twilio-Signature": driver.sign(TOKEN, url, form)}
    )
    assert reported.status_code == 200
    seen = available_agent.get("/tickets/waiting").get_json()
    assert (seen["ringing"], seen["waiting"]) == (False, 1)


def taken_at_once(agents) -> list[str]:  # type: ignore[no-untyped-def]
    """Post "take the next caller" from each agent's page at the same moment; return where each went."""
    tokens = [csrf_token(agent, "/tickets/") for agent in agents]
    barrier = threading.Barrier(len(agents))
    answers = [""] * len(agents)

    def take(index: int) -> None:
        barrier.wait(timeout=10)
        answer = agents[index].post("/tickets/take-call", data={"csrf_token": tokens[index]})
        answers[index] = answer.headers["Location"]

    threads = [threading.Thread(target=take, args=(i,)) for i in range(len(agents))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return answers


def test_two_agents_taking_the_same_caller_at_once_ring_one_phone(
    app, make_app, make_user, call, open_hours, time_machine
):
    agents = []
    for n, worker in enumerate((make_app(), make_app())):  # two workers, two connection pools
        member = make_user("agent", "fr", phone=f"+21260000001{n}")
        client = worker.test_client()
        assert submit(client, member.email, member.password).status_code == 302
        post_form(client, "/tickets/availability", {"available": "1"}, page="/tickets/")
        agents.append(client)
    for round_ in range(3):  # each round one more chance to collide
        time_machine.move_to(f"2026-12-01T10:{2 * round_:02d}:00+00:00", tick=False)
        (caller,) = queue_callers(call, f"+3361234010{round_}")
        answers = taken_at_once(agents)
        ticket_id = escalated(app, caller)
        assert sorted(answers) == ["/tickets/", f"/tickets/{ticket_id}"], answers
        with app.app_context():
            rung = db.session.scalar(
                sa.select(sa.func.count()).where(OutboundMessage.purpose == "queued_call")
            )
        assert rung == round_ + 1
        caller.leave_queue("hangup")
        caller.hang_up()
