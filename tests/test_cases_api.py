"""The push API: one bearer token per back-office client, changes applied all or none, once."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from casefeed import BIRTH_DIGITS, look_up, reference

from cases.models import Case, CaseEvent, FeedClient
from centre.extensions import db
from centre.messaging import OutboundMessage

# Every change names a service; the guide must have it (the seed has "passport").
pytestmark = pytest.mark.usefixtures("guide")

URL = "/api/cases/status"


@pytest.fixture
def token(runner) -> str:  # type: ignore[no-untyped-def]
    """Register a client with the command and return the token it printed."""
    result = runner.invoke(args=["cases", "client-add", "backoffice"])
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1]


@pytest.fixture
def push(client, token):  # type: ignore[no-untyped-def]
    """Return a function posting JSON with the client's token (or another)."""

    def send(body: object, bearer: str | None = None, **headers: str):  # type: ignore[no-untyped-def]
        auth = {"Authorization": f"Bearer {token if bearer is None else bearer}"}
        return client.post(URL, json=body, headers={**auth, **headers})

    return send


def change(number: int = 1, **fields: object) -> dict[str, object]:
    """Return a JSON change of a new case, with sensible values unless given."""
    return {
        "reference": reference(number),
        "status": "received",
        "updated_at": "2026-11-20T10:00:00+01:00",
        "birth_date": "1984-03-05",
        "service": "passport",
        "phone": "+33612345678",
        "language": "it",
        **fields,
    }


def test_the_token_is_printed_once_and_only_its_hash_is_kept(app, token, runner):
    with app.app_context():
        stored = db.session.scalar(sa.select(FeedClient))
        assert stored.name == "backoffice" and token not in stored.token_hash
    again = runner.invoke(args=["cases", "client-add", "backoffice"])
    assert again.exit_code != 0 and "already exists" in again.output


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong-token"}, {"Authorization": "Basic YmFjazpvZmZpY2U="}],
)
def test_a_push_without_a_valid_token_is_refused_in_json(app, client, headers):
    response = client.post(URL, json=change(), headers=headers)
    assert response.status_code == 401
    assert response.json["error"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0


def test_a_revoked_token_no_longer_works(push, runner):
    assert push(change()).status_code == 200
    assert runner.invoke(args=["cases", "client-revoke", "backoffice"]).exit_code == 0
    assert push(change(2)).status_code == 401


def test_one_change_creates_the_case_and_the_same_change_again_changes_nothing(app, push):
    first = push(change())
    assert first.status_code == 200, first.json
    assert first.json["created"] == 1 and first.json["results"] == [
        {"reference": reference(1), "result": "created"}
    ]
    again = push(change())
    assert again.status_code == 200 and again.json["duplicates"] == 1
    # The same instant written in another offset is the same change.
    utc = push(change(updated_at="2026-11-20T09:00:00Z"))
    assert utc.json["duplicates"] == 1
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(CaseEvent)) == 1
        event = db.session.scalar(sa.select(CaseEvent))
        assert event.source == "api:backoffice"


def test_many_changes_at_once_and_a_text_once_per_change(app, push, call, open_hours):
    push({"changes": [change(1), change(2)]})
    news = [
        {
            "reference": reference(1),
            "status": "ready_for_collection",
            "updated_at": "2026-11-25T10:00:00Z",
            "consulate": "Milano",
            "expected_date": "2026-12-31",
        },
        {
            "reference": reference(2),
            "status": "awaiting_documents",
            "updated_at": "2026-11-25T10:00:00Z",
            "missing_documents": ["photos", "previous_passport"],
        },
    ]
    response = push(news)
    assert response.status_code == 200, response.json
    assert (response.json["applied"], response.json["notified"]) == (2, 2)
    assert push(news).json["duplicates"] == 2
    with app.app_context():
        messages = db.session.scalars(sa.select(OutboundMessage)).all()
        assert len(messages) == 2 and {m.language for m in messages} == {"it"}
        assert any("Milano" in m.body and "31 dicembre 2026" in m.body for m in messages)
    turn = look_up(call(), "it", reference(2), BIRTH_DIGITS)
    assert "fototessere" in turn.text and "passaporto precedente" in turn.text


def test_one_bad_change_refuses_the_whole_push_naming_it(app, push):
    response = push([change(1), change(2, status="lost"), change(3)])
    assert response.status_code == 400
    assert response.json["error"] == "invalid_change" and response.json["index"] == 1
    assert "change 2: status 'lost'" in response.json["message"]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0


def test_a_new_case_needs_its_birth_date(app, push):
    response = push(
        {
            "reference": reference(5),
            "status": "received",
            "updated_at": "2026-11-20T10:00:00Z",
            "service": "passport",
        }
    )
    assert response.status_code == 400 and "needs its birth_date" in response.json["message"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("not json", "send a JSON change"),
        ([], "between 1 and 1000"),
        ([1], "is not an object"),
        ([change(n) for n in range(1001)], "between 1 and 1000"),
    ],
)
def test_malformed_bodies_get_a_clear_400(push, client, token, body, message):
    if isinstance(body, str):
        response = client.post(URL, data=body, headers={"Authorization": f"Bearer {token}"})
    else:
        response = push(body)
    assert response.status_code == 400 and message in response.json["message"]


def test_the_api_needs_no_csrf_token_and_answers_json_to_a_get(app, client, push):
    assert client.post("/try/", data={"action": "dial"}).status_code == 400  # CSRF is on
    assert push(change()).status_code == 200  # but not for the token-authenticated API
    response = client.get(URL)
    assert response.status_code == 405 and response.json["error"] == "http_error"


def test_a_change_imported_by_csv_then_pushed_is_the_same_change(app, push, runner, tmp_path):
    from casefeed import case_row, write_csv

    first = [case_row(1, status="in_review", phone="+33611223344")]
    later = [
        case_row(
            1,
            status="ready_for_collection",
            updated_at="2026-11-22T08:00:00Z",
            phone="+33611223344",
        )
    ]
    runner.invoke(args=["cases", "import", str(write_csv(tmp_path / "a.csv", first))])
    runner.invoke(args=["cases", "import", str(write_csv(tmp_path / "b.csv", later))])
    pushed = push(
        {
            "reference": reference(1),
            "status": "ready_for_collection",
            "updated_at": "2026-11-22T09:00:00+01:00",
        }
    )
    assert pushed.json["results"] == [{"reference": reference(1), "result": "duplicate"}]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboundMessage)) == 1


def test_a_push_racing_another_write_of_the_same_change_settles_as_a_duplicate(
    app, make_app, token, caplog
):
    import threading
    import time

    from cases.changes import apply_changes, parse_change
    from centre.clock import now

    other = make_app()
    with other.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("concurrent writers need PostgreSQL (SQLite serialises them)")
        apply_changes([parse_change(change(), "test-phone-key", now())], "api:other")
        db.session.flush()  # written, not yet committed: the push below must wait for it
        answers = []
        worker = app.test_client()
        thread = threading.Thread(
            target=lambda: answers.append(
                worker.post(URL, json=change(), headers={"Authorization": f"Bearer {token}"})
            )
        )
        thread.start()
        waiting = sa.text(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND datname = current_database()"
        )
        with db.engine.connect() as watcher:
            deadline = time.monotonic() + 5
            while not watcher.execute(waiting).scalar() and time.monotonic() < deadline:
                time.sleep(0.02)
        db.session.commit()
    thread.join(timeout=60)
    assert not thread.is_alive(), "the second import is stuck"
    assert answers[0].status_code == 200, answers[0].json
    assert answers[0].json["results"] == [{"reference": reference(1), "result": "duplicate"}]
    assert "retrying" in caplog.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(CaseEvent)) == 1


def test_a_push_that_cannot_get_its_lock_in_time_answers_503_in_json(app, make_app, token):
    from cases.changes import apply_changes, parse_change
    from centre.clock import now

    other = make_app()
    impatient = make_app(DB_TIMEOUT_SECONDS=0.3).test_client()
    with other.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("lock timeouts are PostgreSQL's")
        apply_changes([parse_change(change(), "test-phone-key", now())], "csv")
        db.session.flush()  # an import of the same case, still running
        response = impatient.post(URL, json=change(), headers={"Authorization": f"Bearer {token}"})
        db.session.rollback()
    assert response.status_code == 503 and response.json["error"] == "busy"
    assert response.headers["Retry-After"]
