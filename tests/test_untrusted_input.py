"""What a visitor, a caller or a forged webhook sends never takes the centre elsewhere."""

from __future__ import annotations

import csv
import io
import json
import logging
import re
from datetime import UTC, datetime
from html import unescape
from urllib.parse import parse_qs

import pytest
import sqlalchemy as sa
from conftest import PUBLIC_URL, TWILIO_SID, https_client
from helpers import log_in, walk_to_main_menu

from app import create_app
from centre import jobs
from centre.extensions import db
from centre.settings import ConfigurationError
from centre.spreadsheet import csv_text
from ivr.models import Call
from knowledge import services as guide_services
from knowledge.models import UnmatchedPhrase
from staff import accounts
from tickets import callbacks
from tickets.models import Ticket

# --- where the login sends a person next -----------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "/\t/evil.example/",  # the browser drops the tab: //evil.example/
        "/\n/evil.example/",
        "/\r/evil.example/",
        "\t//evil.example/",
        "/\\evil.example/",  # the browser reads a backslash as a slash
        "///evil.example/",  # three slashes: the browser reads evil.example as the host
        "https:/evil.example/",  # a scheme without slashes: still another origin
        "/tickets/\r\nSet-Cookie: planted=1",
    ],
)
def test_the_login_never_sends_a_browser_to_another_site(app, make_user, target):
    member = make_user("agent", "fr")
    client = app.test_client()
    response = log_in(client, member.email, member.password, next_path=target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/tickets/"
    # Already logged in, the login page sends the person on at once: home, too.
    again = client.get("/staff/login", query_string={"next": target})
    assert again.status_code == 302 and again.headers["Location"] == "/tickets/"


@pytest.mark.parametrize("target", ["tickets/?status=all", "evil.example/"])
def test_a_next_that_is_not_a_path_from_the_root_leads_home(app, make_user, target):
    # The browser would resolve it under /staff/, a page that does not exist.
    member = make_user("agent", "fr")
    client = app.test_client()
    response = log_in(client, member.email, member.password, next_path=target)
    assert response.status_code == 302 and response.headers["Location"] == "/tickets/"


def test_the_login_still_goes_back_to_a_page_of_the_site(app, make_user):
    member = make_user("agent", "fr")
    client = app.test_client()
    target = "/tickets/?status=all&q=dupont%20marie"
    response = log_in(client, member.email, member.password, next_path=target)
    assert response.status_code == 302 and response.headers["Location"] == target


# --- CSV exports -----------------------------------------------------------------------------

FORMULAS = [
    '=HYPERLINK("http://evil.example","x")',
    "+33 1 2",
    "-2+3",
    "@SUM(A1:A9)",
    "\tcmd",
    "\r=1+1",
]


def _csv(client, key: str) -> list[list[str]]:  # type: ignore[no-untyped-def]
    response = client.get(
        f"/reports/{key}.csv", query_string={"from": "2026-12-01", "to": "2026-12-03"}
    )
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_phrases_callers_said_open_as_text_in_a_spreadsheet(app, log_in, time_machine):
    time_machine.move_to("2026-12-02T10:00:00+00:00", tick=False)
    with app.app_context():
        for phrase in FORMULAS:
            guide_services.log_unmatched(phrase, "fr")
        guide_services.log_unmatched("un chameau", "fr")
        db.session.commit()
    rows = _csv(log_in("supervisor", "", locale="en"), "unmatched")
    phrases = {row[1]: row[2] for row in rows[1:]}
    # The stored phrase has its spaces tidied ("\tcmd" is "cmd"); none of them can run.
    assert all(not p.startswith(("=", "+", "-", "@", "\t", "\r")) for p in phrases), phrases
    assert '\'=HYPERLINK("http://evil.example","x")' in phrases
    assert "'-2+3" in phrases and "'@SUM(A1:A9)" in phrases
    assert phrases["un chameau"] == "1"  # counts stay numbers


def test_guide_service_names_open_as_text_in_a_spreadsheet(app, log_in, time_machine):
    time_machine.move_to("2026-12-02T10:00:00+00:00", tick=False)
    with app.app_context():
        db.session.add(
            Call(
                call_sid="CA" + "7" * 32,
                caller_hash="h",
                caller_masked="+33******78",
                dialled="+33805000000",
                country="FR",
                language="fr",
                offered="fr",
                node="goodbye",
                context={"guide_slug": "=1+2"},
                started_at=datetime(2026, 12, 2, 9, 0),
                ended_at=datetime(2026, 12, 2, 9, 5),
                status="completed",
                duration=300,
                outcome="self_service",
            )
        )
        db.session.commit()
    rows = _csv(log_in("supervisor", "", locale="en"), "guide")
    assert rows[1:] == [["'=1+2", "1"]]


def test_numbers_the_centre_counts_stay_numbers_in_the_csv(app):
    assert csv_text([["a", -3, 2.5, None, "-3"]]) == "a,-3,2.5,,'-3\r\n"


# --- recordings ------------------------------------------------------------------------------


def _message_left(app, call, recording_url: str, recording_sid: str | None = None):  # type: ignore[no-untyped-def]
    """Leave a complaint whose (signed) callbacks name `recording_url`; return the ticket id."""
    phone = call()
    phone.dial()
    phone.press("2")  # French
    phone.press("3")  # feedback
    phone.press("1")  # complaint
    phone.leave_message(recording_sid=recording_sid)
    phone.last_recording["RecordingUrl"] = recording_url
    assert phone.recording_ready() == 200
    with app.app_context():
        found = db.session.scalar(sa.select(Ticket))
        return found.id, found.recordings[0].recording_sid


def _player(agent, ticket_id: int) -> str:  # type: ignore[no-untyped-def]
    page = agent.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    return re.search(r'<audio controls preload="none" src="([^"]+)"', page).group(1)


def test_a_recording_is_fetched_from_the_centre_account_whatever_url_the_callback_names(
    app, call, log_in, open_hours, twilio_api
):
    hostile = "https://127.0.0.2:5104\\@api.twilio.com/2010-04-01/Accounts/AC/Recordings/RE1"
    ticket_id, sid = _message_left(app, call, hostile)
    expected = f"https://api.twilio.com/2010-04-01/Accounts/{TWILIO_SID}/Recordings/{sid}.mp3"
    twilio_api.get(expected, body=b"ID3audio", content_type="audio/mpeg")
    agent = log_in("agent", "fr")
    played = agent.get(_player(agent, ticket_id))
    assert played.status_code == 200 and played.data == b"ID3audio"
    assert [c.request.url for c in twilio_api.calls] == [expected]


def test_a_recording_with_a_malformed_sid_is_never_fetched(
    app, call, log_in, open_hours, twilio_api
):
    ticket_id, _ = _message_left(
        app,
        call,
        "https://api.twilio.com/2010-04-01/Accounts/AC/Recordings/RE1",
        recording_sid="RE" + "0" * 31 + "/../../Calls",
    )
    agent = log_in("agent", "fr")
    assert agent.get(_player(agent, ticket_id)).status_code == 404
    assert len(twilio_api.calls) == 0


# --- demo data -------------------------------------------------------------------------------


def test_demo_data_is_refused_in_production(production_app):
    result = production_app.test_cli_runner().invoke(args=["setup", "--demo"])
    assert result.exit_code != 0
    assert "--demo is refused when APP_ENV=production" in result.output
    with production_app.app_context():
        assert accounts.by_email("admin@example.org") is None
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Call)) == 0


def test_demo_passwords_are_long_random_strings_not_a_few_words(app, runner):
    result = runner.invoke(args=["setup", "--demo"])
    assert result.exit_code == 0, result.output
    passwords = re.findall(r"password: (\S+)", result.output)
    assert len(passwords) == 6 and len(set(passwords)) == 6
    for password in passwords:
        assert re.fullmatch(r"[A-Za-z0-9_-]{22,}", password), password
        # Not a passphrase of words from a short list with a two-digit number (~16 bits).
        assert not re.fullmatch(r"(?:[a-z]+-)+\d+", password), password


# --- what the logs and the unmatched phrases keep ----------------------------------------------

ACCESS_LINES = [
    # (the request line, status, size): gunicorn's access log, as the centre's servers write it
    ("POST /ivr/voice HTTP/1.1", "200", "8193"),
    ("GET /reports/unmatched.csv HTTP/1.1", "404", "12345678"),
    ("GET /tickets/?status=all HTTP/1.1", "200", "1061234"),
    ("POST /ivr/status HTTP/1.1", "204", "-"),
]


def _access_line(request_line: str, status: str, size: str) -> str:
    """Log one request through gunicorn's own access format; return the line as written."""
    from gunicorn.config import AccessLogFormat

    stream = io.StringIO()
    access = logging.getLogger("gunicorn.access.h6")
    handler = logging.StreamHandler(stream)
    access.addHandler(handler)
    access.propagate = False
    atoms = {
        "h": "127.0.0.1",
        "l": "-",
        "u": "-",
        "t": "[01/Dec/2026:10:00:00 +0000]",
        "r": request_line,
        "s": status,
        "b": size,
        "f": "-",
        "a": "TwilioProxy/1.1",
    }
    try:
        access.info(AccessLogFormat.default, atoms)
    finally:
        access.removeHandler(handler)
        access.propagate = True
    return stream.getvalue().rstrip("\n")


@pytest.mark.parametrize(("request_line", "status", "size"), ACCESS_LINES)
def test_an_access_log_line_keeps_its_status_and_size(app, request_line, status, size):
    line = _access_line(request_line, status, size)
    assert f'"{request_line}" {status} {size} "-" "TwilioProxy/1.1"' in line


def test_a_callers_number_in_an_access_log_line_is_masked_and_nothing_else(app):
    line = _access_line("POST /ivr/voice?From=%2B33612345678 HTTP/1.1", "200", "8193")
    assert line.endswith(
        '"POST /ivr/voice?From=%2B*********78 HTTP/1.1" 200 8193 "-" "TwilioProxy/1.1"'
    )


@pytest.mark.parametrize(
    ("written", "masked"),
    [
        ("+33612345678", "+*********78"),
        ("06 12 34 56 78", "********78"),
        ("0033612345678", "***********78"),
        ("+212 600-000101", "+**********01"),
    ],
)
def test_a_number_in_any_log_message_is_still_masked(app, caplog, written, masked):
    logging.getLogger("some.library").warning("ringing %s now", written)
    assert caplog.records[-1].getMessage() == f"ringing {masked} now"


def test_a_jobs_id_in_a_log_line_is_left_whole(app, caplog):
    # Seen in `make run`'s log: huey's task ids had a run of digits masked in their middle.
    job = "a51cfd2a-0784-4146a-8f66-cc0b2e21012c"
    logging.getLogger("huey").info("Executing centre.jobs.run_scheduled: %s", job)
    assert caplog.records[-1].getMessage() == f"Executing centre.jobs.run_scheduled: {job}"


WEATHER = {
    "fr": "la météo demain",
    "es": "el tiempo mañana",
    "de": "das Wetter morgen",
    "en": "the weather tomorrow",
}
BIRTH_DATES = {
    "fr": [
        "je suis né le 05/03/1984",
        "né le 5-3-1984",
        "le 05.03.1984",
        "05031984",
        "je suis né le 5 mars 1984",
    ],
    "es": ["nací el 5 de marzo de 1984"],
    "de": ["am 5. März 1984"],
    "en": ["on March 5th, 1984", "and 5/3/84"],
}


@pytest.mark.parametrize(
    ("code", "phrase"), [(code, p) for code, phrases in BIRTH_DATES.items() for p in phrases]
)
def test_a_date_of_birth_said_to_the_guide_is_not_kept(app, call, guide, open_hours, code, phrase):
    phone = call()
    walk_to_main_menu(phone, code)
    phone.press("1")  # the guide
    phone.speak(f"{WEATHER[code]} {phrase}")  # nothing the guide knows: logged as a miss
    with app.app_context():
        kept = [row.phrase for row in db.session.scalars(sa.select(UnmatchedPhrase))]
    assert kept, "the phrase was not logged"
    assert not any(re.search(r"\d|mars|marzo|März|March", text) for text in kept), kept


# --- the /try/ page --------------------------------------------------------------------------


def _hidden(page: str) -> dict[str, str]:
    found = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page)
    return {name: unescape(value) for name, value in found}


def _dialled(client) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Dial from the /try/ page of `client`'s browser; return the keypad's fields."""
    page = client.get("/try/?lang=en").get_data(as_text=True)
    page = client.post("/try/", data={**_hidden(page), "action": "dial"}).get_data(as_text=True)
    fields = _hidden(page)
    assert fields["call_sid"].startswith("CA") and fields["turn"], page
    return fields


def _call_status(app, call_sid: str) -> str | None:  # type: ignore[no-untyped-def]
    with app.app_context():
        return db.session.scalar(sa.select(Call.status).where(Call.call_sid == call_sid))


def test_the_try_page_acts_only_on_calls_its_own_browser_started(app, open_hours):
    mine, theirs = app.test_client(), app.test_client()
    their_call = _dialled(theirs)
    my_call = _dialled(mine)
    for fields in (
        {**my_call, "call_sid": their_call["call_sid"], "turn": their_call["turn"]},
        {**my_call, "turn": their_call["turn"]},  # their turn under my call
        {**my_call, "call_sid": their_call["call_sid"]},  # my turn under their call
    ):
        for action in ("hangup", "press"):
            response = mine.post("/try/?lang=fr", data={**fields, "action": action, "digits": "2"})
            assert response.status_code == 403
            page = response.get_data(as_text=True)
            assert "Cette page ne peut poursuivre qu’un appel qu’elle a elle-même lancé" in page
    assert _call_status(app, their_call["call_sid"]) == "in-progress"
    # Their own browser still drives their call.
    response = theirs.post("/try/", data={**their_call, "digits": "2"})  # French
    assert response.status_code == 200 and '<li lang="fr" dir="ltr"' in response.get_data(
        as_text=True
    )


def test_the_try_page_never_posts_to_a_url_outside_the_calls_own_menu(app, open_hours):
    client = app.test_client()
    fields = _dialled(client)
    forged_xml = (
        '<Response><Gather action="/ivr/status?CallStatus=completed&amp;CallDuration=1"'
        ' numDigits="1"/></Response>'
    )
    for turn in (
        json.dumps({"url": "http://localhost/ivr/voice", "xml": forged_xml}),  # the old form
        fields["turn"][:-2] + "xx",  # the page's own turn, altered
    ):
        response = client.post("/try/", data={**fields, "turn": turn, "digits": "1"})
        assert response.status_code == 403
    assert _call_status(app, fields["call_sid"]) == "in-progress"


def test_the_try_page_is_off_in_production_whatever_the_setting(production_app):
    assert production_app.config["SIMULATOR_ENABLED"] is False
    assert https_client(production_app).get("/try/").status_code == 404


# --- the URLs given to Twilio ----------------------------------------------------------------


def test_twilio_calls_back_on_the_public_url_whatever_host_the_request_named(
    production_app, make_user, twilio_api, time_machine
):
    time_machine.move_to("2026-12-01T10:00:00+00:00", tick=False)
    production_app.config["TWILIO_CALLER_ID"] = "+212500000000"
    calls = f"https://api.twilio.com/2010-04-01/Accounts/{TWILIO_SID}/Calls.json"
    twilio_api.post(calls, json={"sid": "CA" + "5" * 32}, status=201)
    member = make_user("agent", "fr", phone="+212600000001")
    with production_app.app_context():
        ticket = callbacks.book(
            "+33612345699", "fr", "k", datetime(2026, 12, 1, 10, tzinfo=UTC), country="FR"
        )
        db.session.commit()
        ticket_id, version = ticket.id, ticket.version
    # A request whose Host (and a matching Referer) names another site.
    client = production_app.test_client()
    client.environ_base["HTTP_REFERER"] = "https://evil.example/staff/login"
    evil = {"base_url": "https://evil.example"}
    login = client.get("/staff/login", **evil).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', login).group(1)
    assert (
        client.post(
            "/staff/login",
            data={"csrf_token": token, "email": member.email, "password": member.password},
            **evil,
        ).status_code
        == 302
    )
    page = client.get(f"/tickets/{ticket_id}", **evil).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(
        f"/tickets/{ticket_id}/call-back", **evil, data={"csrf_token": token, "version": version}
    )
    assert response.status_code == 302
    with production_app.app_context():  # the worker's turn: the call was queued, not placed
        jobs.run_ready()
    (placed,) = [c for c in twilio_api.calls if c.request.url == calls]
    given = parse_qs(placed.request.body)["Url"][0]
    assert given.startswith(f"{PUBLIC_URL}/ivr/desk/bridge?a="), given


@pytest.mark.parametrize(
    "public_url",
    [
        None,
        "",
        "http://centre.example.org",
        "https://centre.example.org/app",
        "https://u:p@centre.example.org",
    ],
)
def test_production_refuses_to_start_without_a_public_https_origin(monkeypatch, public_url):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "s3cret-for-the-test")
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "token-for-the-test")
    if public_url is None:
        monkeypatch.delenv("PUBLIC_URL", raising=False)
    else:
        monkeypatch.setenv("PUBLIC_URL", public_url)
    with pytest.raises(ConfigurationError, match="PUBLIC_URL"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
