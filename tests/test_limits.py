"""Limits that hold under simultaneous attempts, survive a lost Redis, and spare the innocent."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
import sqlalchemy as sa
from casefeed import BIRTH_DIGITS, case_row, look_up, reference, write_csv
from helpers import csrf_token, log_in, walk_to_main_menu

from cases import lookups
from cases.models import CaseLookup
from centre.extensions import db
from staff import passwords
from staff.models import AuditEntry

# The cases these tests import name services of the guide.
pytestmark = pytest.mark.usefixtures("guide")

WRONG = "wrong-password-123"


def run_together(tasks: list[Callable[[], Any]], timeout: float = 60) -> list[Any]:
    """Run the tasks in threads released at the same moment; return their results in order."""
    barrier = threading.Barrier(len(tasks), timeout=timeout)
    results: list[Any] = [None] * len(tasks)
    errors: list[BaseException] = []

    def run(index: int, task: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[index] = task()
        except BaseException as error:  # noqa: BLE001 (reported by the test below)
            errors.append(error)

    threads = [threading.Thread(target=run, args=item) for item in enumerate(tasks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), "a request never finished"
    assert not errors, errors
    return results


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> Callable[[object, str], list[int]]:
    """Return a function wrapping `owner.name` so that each call is counted (thread-safe)."""

    def wrap(owner: object, name: str) -> list[int]:
        calls: list[int] = []
        lock = threading.Lock()
        real = getattr(owner, name)

        def counting(*args: Any, **kwargs: Any) -> Any:
            with lock:
                calls.append(1)
            return real(*args, **kwargs)

        monkeypatch.setattr(owner, name, counting)
        return calls

    return wrap


class CountingHasher:
    """argon2's hasher, counting its password checks."""

    def __init__(self, real: Any) -> None:
        """Wrap the real hasher."""
        self.real, self.checks, self.lock = real, [], threading.Lock()

    def verify(self, *args: Any) -> Any:
        """Count the check, then do it."""
        with self.lock:
            self.checks.append(1)
        return self.real.verify(*args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


@pytest.fixture
def counted_verify(monkeypatch: pytest.MonkeyPatch) -> Callable[[Any], list[int]]:
    """Return a function making `passwords` count argon2 verify calls; it returns the count list."""

    def wrap(module: Any) -> list[int]:
        hasher = CountingHasher(module._hasher)
        monkeypatch.setattr(module, "_hasher", hasher)
        return hasher.checks

    return wrap


@pytest.fixture(params=["database", "redis"])
def store(request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    """Return the settings of one limit store: the database, or Redis under a fresh prefix."""
    if request.param == "database":
        yield {"REDIS_URL": ""}
        return
    config = request.getfixturevalue("redis_config")  # the suite's Redis, a prefix of the test's
    yield config
    client = redis.Redis.from_url(config["REDIS_URL"])
    keys = list(client.scan_iter(config["REDIS_PREFIX"] + "*"))
    client.close()
    assert keys, "nothing was counted in Redis"


@pytest.fixture
def busy_app(app, make_app, store):  # type: ignore[no-untyped-def]
    """Return an app on the test database and `store`, patient enough for a burst of requests."""
    return make_app(DB_TIMEOUT_SECONDS=20, **store)


# --- simultaneous attempts ---------------------------------------------------------------


def test_twenty_simultaneous_wrong_logins_make_at_most_five_password_checks(
    busy_app, make_user, counted_verify, open_hours
):
    member = make_user("agent", "fr")
    checks = counted_verify(passwords)
    clients = [busy_app.test_client() for _ in range(20)]
    tokens = [csrf_token(client) for client in clients]

    def attempt(client: Any, token: str) -> Callable[[], int]:
        data = {"csrf_token": token, "email": member.email, "password": WRONG}
        return lambda: client.post("/staff/login", data=data).status_code

    codes = run_together([attempt(c, t) for c, t in zip(clients, tokens, strict=True)])
    assert codes == [401] * 20
    assert 1 <= len(checks) <= 5


@pytest.fixture
def import_case(app, runner, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Import the case `reference(1)` through the CSV command."""
    result = runner.invoke(
        args=["cases", "import", str(write_csv(tmp_path / "c.csv", [case_row()]))]
    )
    assert result.exit_code == 0, result.output


def test_twelve_simultaneous_lookups_from_one_number_make_at_most_six_checks(
    busy_app, call, import_case, counted, open_hours
):
    checks = counted(lookups, "proofs_match")
    phones = []
    for _ in range(12):  # each caller is one step from the lookup, with a wrong birth date
        phone = call(caller="+33699990042", on=busy_app)
        walk_to_main_menu(phone, "en")
        phone.press("2")
        phone.press(reference(1) + "#")
        phone.press("1")
        phone.press("07031984#")
        phones.append(phone)
    turns = run_together([lambda phone=phone: phone.press("1") for phone in phones])
    assert 1 <= len(checks) <= 6
    said = [turn.text for turn in turns]
    assert sum("could not confirm" in text for text in said) == len(checks)
    assert all("could not confirm" in t or "cannot be checked from this number" in t for t in said)
    with busy_app.app_context():  # every try is logged against the number, refused or checked
        rows = db.session.execute(sa.select(CaseLookup.outcome, CaseLookup.caller_hash)).all()
    assert {row.outcome for row in rows} == {"wrong_birth_date", "refused"}
    assert len({row.caller_hash for row in rows}) == 1 and rows[0].caller_hash


# --- a lost Redis -------------------------------------------------------------------------


class SilentServer:
    """A TCP server on loopback that accepts connections and never answers (a hung Redis)."""

    def __init__(self) -> None:
        """Listen on a free port."""
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.accepted.append(connection)

    def close(self) -> None:
        """Stop listening and drop the connections."""
        self.listener.close()
        for connection in self.accepted:
            connection.close()


@pytest.fixture(params=["closed port", "never answers"])
def lost_redis(request: pytest.FixtureRequest) -> Iterator[tuple[str, SilentServer | None]]:
    """Return a Redis URL nobody answers on: a closed port, or a server that hangs."""
    if request.param == "closed port":
        with socket.create_server(("127.0.0.1", 0)) as probe:
            port = probe.getsockname()[1]
        yield f"redis://127.0.0.1:{port}/0", None
        return
    server = SilentServer()
    yield f"redis://127.0.0.1:{server.port}/0", server
    server.close()


def test_without_redis_logins_and_lookups_work_and_the_database_counts(
    app, make_app, make_user, call, import_case, lost_redis, caplog, open_hours
):
    url, server = lost_redis
    caplog.set_level(logging.WARNING, logger="centre.ratelimit")
    # Left alone longer than this test lasts, however busy the machine.
    lost = make_app(REDIS_URL=url, REDIS_TIMEOUT_SECONDS=0.5, REDIS_RETRY_SECONDS=3600)
    member = make_user("agent", "fr")
    assert log_in(lost.test_client(), member.email, member.password).status_code == 302
    turn = look_up(call(on=lost), "en", reference(1), BIRTH_DIGITS)
    assert "is being examined" in turn.text
    # The limits still hold: the database counts the failures instead.
    for _ in range(5):
        assert log_in(lost.test_client(), member.email, WRONG).status_code == 401
    refused = log_in(lost.test_client(), member.email, member.password)
    assert refused.status_code == 401 and "Trop de tentatives" in refused.get_data(as_text=True)
    warnings = [r for r in caplog.records if r.name == "centre.ratelimit"]
    assert len(warnings) == 1 and "Redis" in warnings[0].getMessage()
    if server is not None:
        # A hung Redis cost one timeout, not one per request: it was left alone since.
        assert len(server.accepted) == 1


# --- throttling logins ---------------------------------------------------------------------


def log_in_from(client: Any, address: str, email: str, password: str, **headers: str) -> Any:
    """Submit the login form from `address`."""
    token = csrf_token(client)
    return client.post(
        "/staff/login",
        data={"csrf_token": token, "email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
        headers=headers,
    )


def test_a_strangers_failures_do_not_lock_the_owner_out_from_their_own_address(
    app, make_user, open_hours
):
    owner = make_user("agent", "fr")
    for _ in range(5):  # five tries, each told only that the password is wrong
        wrong = log_in_from(app.test_client(), "203.0.113.66", owner.email, WRONG)
        assert wrong.status_code == 401
        assert "Trop de tentatives" not in wrong.get_data(as_text=True)
    # The stranger is stopped, even holding the right password now...
    stranger = log_in_from(app.test_client(), "203.0.113.66", owner.email, owner.password)
    assert stranger.status_code == 401 and "Trop de tentatives" in stranger.get_data(as_text=True)
    # ... and the log names the account tried and the address it was tried from.
    throttled = [row for row in audit_rows(app) if row.action == "login.throttled"]
    assert [(row.actor_email, row.address) for row in throttled] == [(owner.email, "203.0.113.66")]
    # ... and the owner, at their own desk, logs in.
    at_desk = log_in_from(app.test_client(), "10.20.0.7", owner.email, owner.password)
    assert at_desk.status_code == 302


def test_an_address_trying_many_accounts_is_refused_in_the_readers_language(
    app, make_user, open_hours
):
    member = make_user("agent", "fr")
    for n in range(20):
        log_in_from(app.test_client(), "203.0.113.9", f"guess{n}@example.org", WRONG)
    refused = log_in_from(
        app.test_client(), "203.0.113.9", member.email, member.password, **{"Accept-Language": "de"}
    )
    assert refused.status_code == 401
    assert "Zu viele fehlgeschlagene Versuche" in refused.get_data(as_text=True)
    # The log names the address refused, not the account the stranger typed.
    throttled = [row for row in audit_rows(app) if row.action == "login.throttled"]
    assert [(row.actor_email, row.address) for row in throttled] == [("", "203.0.113.9")]
    assert (
        log_in_from(app.test_client(), "10.20.0.8", member.email, member.password).status_code
        == 302
    )


def test_a_login_that_works_gives_the_address_its_place_back_and_the_store_stays_put(
    app, make_app, make_user, store, caplog, open_hours
):
    caplog.set_level(logging.WARNING, logger="centre.ratelimit")
    counting = make_app(**store)
    member = make_user("agent", "fr")
    address = "203.0.113.40"

    def attempt(password: str) -> int:
        return log_in_from(counting.test_client(), address, member.email, password).status_code

    for n in range(19):  # nineteen wrong guesses at other accounts: one short of the limit
        log_in_from(counting.test_client(), address, f"guess{n}@example.org", WRONG)
    assert attempt(member.password) == 302  # the 20th attempt works: it is not counted
    assert attempt(WRONG) == 401  # the 20th counted failure is still allowed
    refused = attempt(member.password)  # the 21st is not, even with the right password
    assert refused == 401
    # Redis answered all along: nothing moved the counting to the database.
    assert not [r for r in caplog.records if r.name == "centre.ratelimit"]


# --- the audit log under a flood -----------------------------------------------------------


def audit_rows(app: Any) -> list[AuditEntry]:
    """Return the audit entries, oldest first."""
    with app.app_context():
        rows = list(db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)))
        db.session.expunge_all()
        return rows


def test_two_hundred_failed_logins_from_one_client_leave_a_few_counted_entries(
    app, make_user, open_hours
):
    client = app.test_client()
    token = csrf_token(client)
    for n in range(200):
        client.post(
            "/staff/login",
            data={"csrf_token": token, "email": f"guess{n}@example.org", "password": WRONG},
        )
    for _ in range(200):
        client.post("/staff/login", data={"email": "x@example.org"})  # no CSRF token
    rows = audit_rows(app)
    refusals = [row for row in rows if row.action in ("login.failed", "login.throttled")]
    assert len(refusals) <= 25
    assert sum(row.occurrences for row in refusals) == 200
    (csrf,) = [row for row in rows if row.action == "csrf.refused"]
    assert csrf.occurrences == 200 and csrf.address == "127.0.0.1"
    # A supervisor, at another address, reads it: one line with its count.
    supervisor, reader = make_user("supervisor", ""), app.test_client()
    assert (
        log_in_from(reader, "10.20.0.9", supervisor.email, supervisor.password).status_code == 302
    )
    page = reader.get(
        "/staff/audit?action=login.throttled", environ_base={"REMOTE_ADDR": "10.20.0.9"}
    )
    assert "× 180" in page.get_data(as_text=True)


def test_each_change_by_a_staff_member_keeps_its_own_entry(app, log_in, make_user, open_hours):
    from helpers import post_form

    admin = log_in("admin", "")
    member = make_user("agent", "fr")
    for phone in ("+212600000001", "+212600000002"):
        response = post_form(
            admin,
            f"/staff/users/{member.id}",
            {"role": "agent", "languages": "fr", "phone": phone, "active": "on"},
        )
        assert response.status_code == 302
    updates = [row for row in audit_rows(app) if row.action == "user.update"]
    assert len(updates) == 2 and all(row.occurrences == 1 for row in updates)
