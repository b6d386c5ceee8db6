"""A staff page against a hung database (PostgreSQL frozen behind a proxy that stops forwarding)
answers within its bound, in the staff member's language, and loses nothing they typed.

Webhooks have their own, shorter bound (tests/test_hung_database.py); a staff page gets a longer
one (`STAFF_DB_TIMEOUT_SECONDS`, shortened here so the test is quick).
"""

from __future__ import annotations

import re
import threading
import time
from html import unescape

import pytest
import sqlalchemy as sa
from helpers import csrf_token, log_in
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from test_hung_database import NEVER, FreezingProxy, proxy  # noqa: F401 (its fixture, by name)

from centre.extensions import db
from tickets import services
from tickets.models import TicketNote

BOUND = 1.0  # STAFF_DB_TIMEOUT_SECONDS in these tests
# The bound, plus what a connection attempt may add (libpq's own 2 s floor is not the bound's
# business: the client's gives up first), plus a loaded machine's slack.
ANSWER_WITHIN = BOUND + 2.0
ARABIC_MESSAGE = "قاعدة البيانات لا تستجيب. حاول مرة أخرى بعد لحظات."
NOTE = "Le demandeur rappellera lundi avec son passeport"


@pytest.fixture
def frozen(request: pytest.FixtureRequest) -> FreezingProxy:
    """Return the webhooks' freezing proxy in front of the test database (PostgreSQL only)."""
    return request.getfixturevalue("proxy")  # type: ignore[no-any-return]


def timed(request, *args, **kwargs):  # type: ignore[no-untyped-def]
    """Make a test-client request in a thread; return its response (None if it hung) and time."""
    found: dict[str, object] = {}

    def run() -> None:
        started = time.monotonic()
        found["response"] = request(*args, **kwargs)
        found["elapsed"] = time.monotonic() - started

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(NEVER)
    return found.get("response"), found.get("elapsed", NEVER)


def test_a_staff_page_says_the_database_is_not_answering_and_keeps_the_note_typed(
    make_app, app, frozen: FreezingProxy, make_user, open_hours
):
    through_proxy = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).set(
        host="127.0.0.1", port=frozen.port
    )
    proxied = make_app(
        SQLALCHEMY_DATABASE_URI=through_proxy.render_as_string(False),
        STAFF_DB_TIMEOUT_SECONDS=BOUND,
        DB_TIMEOUT_SECONDS=0.5,  # the staff bound is never below the server's own timeouts
    )
    with app.app_context():
        ticket = services.open_ticket("complaint", "fr", "+33612345678", "test-phone-key")
        db.session.commit()
        ticket_id = ticket.id
    agent = make_user("supervisor", "fr", locale="ar")  # sees the desk, the guide, the reports
    client = proxied.test_client()
    assert log_in(client, agent.email, agent.password).status_code == 302
    page = client.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', page)
    assert version, page
    token = csrf_token(client, f"/tickets/{ticket_id}")

    frozen.frozen.set()
    # Pages that only read: the ticket, the queue, the guide editor, the reports, the account.
    for path in (
        f"/tickets/{ticket_id}",
        "/tickets/",
        "/guide/editor/",
        "/reports/",
        "/staff/account",
    ):
        response, elapsed = timed(client.get, path)
        assert response is not None, f"{path} never answered: the worker hangs"
        assert response.status_code == 503, (path, response.status_code)
        assert ARABIC_MESSAGE in response.get_data(as_text=True), path
        assert elapsed < ANSWER_WITHIN, (path, elapsed)

    # The note the agent saves while the database hangs comes back on the page, to send again.
    form = {"csrf_token": token, "version": version.group(1), "status": "open", "note": NOTE}
    response, elapsed = timed(client.post, f"/tickets/{ticket_id}/save", data=form)
    assert response is not None, "saving never answered: the note would be lost with the worker"
    assert response.status_code == 503 and elapsed < ANSWER_WITHIN, (response.status_code, elapsed)
    answer = response.get_data(as_text=True)
    assert ARABIC_MESSAGE in answer and f'<blockquote class="kept" dir="auto">{NOTE}' in answer
    again = re.search(
        r'<form method="post" action="([^"]+)" class="kept-form">(.*?)</form>', answer, re.S
    )
    assert again and again.group(1) == f"/tickets/{ticket_id}/save", answer
    fields = {
        unescape(name): unescape(value)
        for name, value in re.findall(r'name="([^"]+)" value="([^"]*)"', again.group(2))
    }
    assert {k: v for k, v in fields.items() if k != "csrf_token"} == {
        "version": version.group(1),
        "status": "open",
        "note": NOTE,
    }

    # A login while it hangs: the same page, and the password typed is never written back.
    stranger = proxied.test_client()
    login = {"csrf_token": csrf_token(stranger), "email": agent.email, "password": agent.password}
    response, _ = timed(stranger.post, "/staff/login", data=login)
    assert response is not None and response.status_code == 503
    assert agent.password not in response.get_data(as_text=True)

    # Once the database answers, the kept form, sent again as it is, saves the note.
    frozen.frozen.clear()
    response, _ = timed(client.post, again.group(1), data=fields)
    assert response is not None and response.status_code == 302, response
    with app.app_context():
        notes = db.session.scalars(sa.select(TicketNote.body)).all()
    assert notes == [NOTE]


@pytest.mark.parametrize("locale", ["fr", "ar"])
def test_the_database_page_is_in_the_staff_members_language_without_asking_the_database(
    app, make_user, locale, monkeypatch
):
    # SQLite too: whatever the database raises, the page knows the language from the cookie.
    member = make_user("agent", "fr", locale=locale)
    client = app.test_client()
    assert log_in(client, member.email, member.password).status_code == 302
    assert client.get("/tickets/").status_code == 200

    def refuse(*args: object, **kwargs: object) -> None:
        raise sa.exc.OperationalError("SELECT", {}, Exception("the server is not answering"))

    monkeypatch.setattr(db.session, "get", refuse)
    response = client.get("/tickets/")
    assert response.status_code == 503
    expected = {
        "fr": "La base de données ne répond pas. Réessayez dans un instant.",
        "ar": ARABIC_MESSAGE,
    }
    text = response.get_data(as_text=True)
    assert expected[locale] in text
    assert f'lang="{locale}"' in text
    heading = {"fr": "Momentanément indisponible", "ar": "غير متاح مؤقتًا"}[locale]
    assert f"<h1>{heading}</h1>" in text and "<h1>503" not in text  # words, not a code


def test_a_note_whose_commit_finds_the_database_gone_is_kept_on_the_page(
    make_app, app, make_user, monkeypatch, open_hours
):
    # The view has flushed; the request's one commit is where the database stops answering.
    # Flask answers what fails there as a 500 (unless told to let it through, as tests are).
    served = make_app(PROPAGATE_EXCEPTIONS=False)
    with app.app_context():
        ticket = services.open_ticket("complaint", "fr", "+33612345678", "test-phone-key")
        db.session.commit()
        ticket_id = ticket.id
    member = make_user("agent", "fr", locale="fr")
    agent = served.test_client()
    assert log_in(agent, member.email, member.password).status_code == 302
    page = agent.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', page)
    assert version, page
    form = {
        "csrf_token": csrf_token(agent, f"/tickets/{ticket_id}"),
        "version": version.group(1),
        "status": "open",
        "note": NOTE,
    }

    def refuse(session: Session) -> None:
        raise sa.exc.OperationalError("COMMIT", {}, Exception("the server is not answering"))

    monkeypatch.setattr(Session, "commit", refuse)
    response = agent.post(f"/tickets/{ticket_id}/save", data=form)
    monkeypatch.undo()
    assert response.status_code == 503
    answer = response.get_data(as_text=True)
    assert "La base de données ne répond pas." in answer
    assert f'<blockquote class="kept" dir="auto">{NOTE}' in answer
    with app.app_context():
        assert db.session.scalars(sa.select(TicketNote.body)).all() == []


def test_the_guide_api_says_in_json_that_the_database_is_not_answering(app, guide, monkeypatch):
    # SQLite too: a machine reading the API gets JSON it can act on, never an HTML page.
    client = app.test_client()
    assert client.get("/api/guide/passport?lang=en").status_code == 200

    def refuse(*args: object, **kwargs: object) -> None:
        raise sa.exc.OperationalError("SELECT", {}, Exception("the server is not answering"))

    monkeypatch.setattr(Session, "execute", refuse)
    response = client.get("/api/guide/passport?lang=en", headers={"Accept-Language": "en"})
    assert response.status_code == 503
    assert response.get_json() == {
        "error": "database_unavailable",
        "message": "The database is not answering. Try again in a moment.",
    }
