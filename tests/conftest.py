"""Fixtures: an app on a migrated test database (SQLite or PostgreSQL), a client, and a caller."""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
import time_machine
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from flask_migrate import upgrade
from helpers import forms_of_number, unmasked
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from app import create_app
from centre import calendar
from centre.clock import CENTRE_TZ
from centre.extensions import db
from ivr.driver import FlaskTransport, PhoneCall
from staff import passwords

# Hypothesis: `ci` (the default) keeps the whole suite within a few minutes; `dev` is a quick
# look, `thorough` a long hunt. Choose with HYPOTHESIS_PROFILE=thorough python -m pytest ...
_HYPOTHESIS_COMMON = {
    "deadline": None,  # a webhook's time depends on the machine and the database
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    "print_blob": True,
}
hypothesis_settings.register_profile(
    "ci", max_examples=60, stateful_step_count=20, **_HYPOTHESIS_COMMON
)
hypothesis_settings.register_profile(
    "dev", max_examples=10, stateful_step_count=10, **_HYPOTHESIS_COMMON
)
hypothesis_settings.register_profile(
    "thorough", max_examples=1000, stateful_step_count=50, **_HYPOTHESIS_COMMON
)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# The whole suite can run at another instant: TEST_CLOCK_AT=2027-02-20T12:00 (ISO; Moroccan time
# unless it carries an offset) moves the wall clock there before any app is made, and time still
# passes (tick). A test that depends on the day freezes it itself (`time_machine`, `open_hours`):
# its travel stacks on this one and ends with the test. See README, "Running the tests".
_SESSION_CLOCK: time_machine.travel | None = None


def session_clock_start() -> datetime | None:
    """Return the instant TEST_CLOCK_AT names (aware), or None when the real clock is used."""
    text = os.environ.get("TEST_CLOCK_AT", "").strip()
    if not text:
        return None
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=CENTRE_TZ)


def pytest_configure(config: pytest.Config) -> None:
    """Move the wall clock for the whole run when TEST_CLOCK_AT says so."""
    global _SESSION_CLOCK
    start = session_clock_start()
    if start is not None and _SESSION_CLOCK is None:
        # In UTC: a zone-aware destination would also set the process's TZ, which servers do not have.
        _SESSION_CLOCK = time_machine.travel(start.astimezone(UTC), tick=True)
        _SESSION_CLOCK.start()


def pytest_unconfigure(config: pytest.Config) -> None:
    """Bring the wall clock back."""
    global _SESSION_CLOCK
    if _SESSION_CLOCK is not None:
        _SESSION_CLOCK.stop()
        _SESSION_CLOCK = None


def pytest_report_header(config: pytest.Config) -> str:
    """Say which clock the run uses, so a red run under a moved clock is recognised as such."""
    start = session_clock_start()
    if start is None:
        return "clock: real (set TEST_CLOCK_AT=2027-02-20T12:00 to move it)"
    return f"clock: moved to {start.isoformat()} (TEST_CLOCK_AT), ticking"


TOKEN = "test-auth-token"
TEST_CONFIG = {
    "APP_ENV": "testing",
    "TESTING": True,
    "SECRET_KEY": "test-secret",
    "PHONE_HASH_KEY": "test-phone-key",
    "TWILIO_AUTH_TOKEN": TOKEN,
    # Nothing leaves the machine unless a test gives an account and a sender (`twilio_api`).
    "TWILIO_ACCOUNT_SID": "",
    "TWILIO_SMS_FROM": "",
    "TWILIO_CALLER_ID": "",
    # No worker runs in most tests: a job runs as soon as it is enqueued, unpaced.
    # tests/test_jobs.py runs them through the real broker (Redis) instead.
    "JOBS_URL": "immediate",
    "SMS_PER_SECOND": 0,
    "CALLS_PER_SECOND": 0,
    "FALLBACK_AGENT_NUMBER": "+212522000000",
    "HOLD_MUSIC_URL": "",
}


def _database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("TEST_DATABASE_URL", "")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


class _Kept(logging.Handler):
    """Keep every record logged during a test, as pytest's own log capture sees it."""

    def __init__(self) -> None:
        super().__init__(level=logging.NOTSET)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(autouse=True)
def logs_hold_no_personal_data(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail any test whose logs show a caller's number, a signature or the auth token in clear.

    Every number and signature the simulated Twilio sends is noted; after the test, every
    captured record (message, traceback, stack) is searched for them in any written form.
    """
    from ivr import driver
    from tickets import services

    kept = _Kept()
    root = logging.getLogger()
    root.addHandler(kept)
    sent: set[str] = {TOKEN}
    real_sign, real_reference = driver.sign, services.new_reference

    def noting_sign(token: str, url: str, data: dict[str, str]) -> str:
        signature = real_sign(token, url, data)
        sent.add(signature)
        for field in ("From", "To", "Caller", "Called"):
            sent.update(forms_of_number(data.get(field) or ""))
        return signature

    def noting_reference() -> str:
        reference = real_reference()
        sent.add(reference)
        return reference

    monkeypatch.setattr(driver, "sign", noting_sign)
    monkeypatch.setattr(services, "new_reference", noting_reference)
    try:
        yield
    finally:
        root.removeHandler(kept)
    formatter = logging.Formatter("%(levelname)s %(name)s: %(message)s")
    leaks = unmasked([formatter.format(r) for r in kept.records], sent)
    if leaks:
        pytest.fail("personal data in the logs:\n" + "\n".join(leaks[:5]), pytrace=False)


# Redis: one setting for every test that uses it, keys under one prefix per run, deleted at the end.
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture(scope="session")
def redis_run_prefix() -> Iterator[str]:
    """Return this run's Redis key prefix, failing if Redis is down; delete the run's keys after."""
    import redis

    client = redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=2, socket_timeout=10)
    try:
        client.ping()
    except redis.RedisError as exc:
        client.close()
        pytest.fail(
            f"Redis tests need a Redis at TEST_REDIS_URL={TEST_REDIS_URL} (.ci/run starts one): "
            f"{exc}",
            pytrace=False,
        )
    prefix = f"test-run-{secrets.token_hex(6)}:"
    yield prefix
    keys = list(client.scan_iter(f"{prefix}*", count=1000))
    # The job queue's keys: Huey names them huey.<kind>.<name>, the name without punctuation.
    keys += list(
        client.scan_iter(f"huey.*.{prefix.replace('-', '').replace(':', '')}*", count=1000)
    )
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def redis_config(redis_run_prefix: str) -> dict[str, str]:
    """Return app settings for a Redis store of the test's own (a prefix under the run's)."""
    return {
        "REDIS_URL": TEST_REDIS_URL,
        "REDIS_PREFIX": f"{redis_run_prefix}{secrets.token_hex(4)}:",
    }


# The app hashes with argon2id at RFC 9106's low-memory profile (64 MiB, 3 passes, 4 lanes):
# 0.1 s per hash or check on a quiet machine, close to a second on a loaded one, and the suite
# makes and logs in staff accounts some thousand times. What a test checks of accounts and logins
# does not depend on that cost, so the suite hashes with argon2id at the smallest cost; a test
# about the cost itself is marked `real_password_hashing`. The app is untouched: a fixture
# swaps the hasher, as test_limits' counting hasher does.
QUICK_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
QUICK_DUMMY_HASH = QUICK_HASHER.hash("no account has this password, it only spends time")


@pytest.fixture(autouse=True)
def quick_password_hashing(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Hash and check staff passwords at argon2id's smallest cost, unless the test needs the app's."""
    if request.node.get_closest_marker("real_password_hashing") is None:
        monkeypatch.setattr(passwords, "_hasher", QUICK_HASHER)
        monkeypatch.setattr(passwords, "_DUMMY_HASH", QUICK_DUMMY_HASH)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Return the test database, migrated from empty once per session."""
    url = _database_url(tmp_path_factory)
    # Migrating is setup, not behaviour under test: it gets a minute per statement, not 1.5 s.
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url, "DB_TIMEOUT_SECONDS": 60})
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                connection.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()
        db.engine.dispose()
    return url


def _without_time_limits() -> None:
    """Lift the app's statement and lock timeouts for the rest of this transaction (PostgreSQL).

    The app gives up on a statement after 1.5 s, as production should; the suite's own setup
    (a TRUNCATE of every table, the seed data) must not, or a busy machine fails tests
    before they start.
    """
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.text("SET LOCAL statement_timeout = 0"))
        db.session.execute(sa.text("SET LOCAL lock_timeout = 0"))


def reset_database() -> None:
    """Empty every table and seed the default hours and holidays, in one untimed transaction."""
    _without_time_limits()
    tables = [t for t in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(t.name for t in tables)
        db.session.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(table.delete())
    calendar.seed_hours()
    calendar.seed_holidays([2026, 2027])  # the same data whatever the clock says
    db.session.commit()


@pytest.fixture
def make_app(database_url: str) -> Iterator[Callable[..., Flask]]:
    """Return a factory of app instances on the shared test database (one call, many workers)."""
    made: list[Flask] = []

    def make(**overrides: object) -> Flask:
        app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, **overrides})
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Iterator[Flask]:
    """Return the app on an emptied database holding the default hours and holidays."""
    app = make_app()
    with app.app_context():
        reset_database()
    yield app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """Return a test client."""
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    """Return a CLI runner."""
    return app.test_cli_runner()


@pytest.fixture
def call(app: Flask) -> Callable[..., PhoneCall]:
    """Return a factory of simulated callers driving the app as Twilio would."""

    def make(
        caller: str = "+33612345678", to: str = "+33805000000", on: Flask | None = None
    ) -> PhoneCall:
        return PhoneCall(FlaskTransport(on or app), TOKEN, caller=caller, to=to)

    return make


@pytest.fixture
def open_hours(time_machine):  # type: ignore[no-untyped-def]
    """Freeze time on a working Tuesday at 10:00 in Casablanca (UTC+0 since September 2026)."""
    time_machine.move_to("2026-12-01T10:00:00+00:00", tick=False)


@pytest.fixture
def closed_hours(time_machine):  # type: ignore[no-untyped-def]
    """Freeze time on a Saturday at 11:00 in Casablanca."""
    time_machine.move_to("2026-12-05T11:00:00+00:00", tick=False)


ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "Kumquat-Harbour-Lantern-7"


@dataclass(frozen=True)
class StaffMember:
    """A staff account made for a test."""

    id: int
    email: str
    role: str
    password: str = PASSWORD


@pytest.fixture
def make_user(app: Flask) -> Callable[..., StaffMember]:
    """Return a factory of staff accounts: make_user("agent", "fr ar", phone="+2126...")."""
    made = iter(range(1, 10_000))

    def make(
        role: str = "agent",
        languages: str = "fr",
        email: str | None = None,
        phone: str | None = None,
        locale: str | None = None,
    ) -> StaffMember:
        from staff import accounts

        address = email or f"{role}{next(made)}@example.org"
        with app.app_context():
            user = accounts.create(
                address, PASSWORD, role, languages, locale=locale, phone=phone, actor_email="test"
            )
            db.session.commit()
            return StaffMember(user.id, user.email, role)

    return make


@pytest.fixture
def log_in(app: Flask, make_user: Callable[..., StaffMember]) -> Callable[..., FlaskClient]:
    """Return a factory of test clients logged in as a new account of the given role."""

    def make(role: str = "agent", languages: str = "fr", **account: object) -> FlaskClient:
        from helpers import log_in as submit

        member = make_user(role, languages, **account)
        client = app.test_client()
        response = submit(client, member.email, member.password)
        assert response.status_code == 302, response.get_data(as_text=True)
        client.member = member  # type: ignore[attr-defined]
        return client

    return make


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """Serve the app on a free loopback port in a thread; return its base URL."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    """Return where a browser test saves the pictures it takes of a page.

    The test's own temporary folder, unless SCREENSHOTS_DIR names one to keep them in
    (`SCREENSHOTS_DIR=docs` refreshes the README's pictures: docs/ticket-loop-fr.png, ...).
    """
    kept = os.environ.get("SCREENSHOTS_DIR", "")
    return Path(kept) if kept else tmp_path


@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
    """Launch Debian's headless Chromium once per session (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(
            "browser tests need Debian's chromium: apt-get install chromium (as .ci/run does)"
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    """Return a fresh browser page (its own cookies)."""
    context = browser.new_context()
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def guide(app: Flask) -> None:
    """Load the consular guide's seed content (all seven languages) into the test database."""
    from knowledge.seed import load_seed

    with app.app_context():
        _without_time_limits()
        load_seed()
        db.session.commit()


TWILIO_SID = "AC" + "1" * 32
PUBLIC_URL = "https://centre.example.org"  # where Twilio reaches the production app


@pytest.fixture
def twilio_api(app: Flask) -> Iterator[object]:
    """Give the app an account SID and answer its HTTP calls to Twilio with `responses`."""
    import responses

    app.config["TWILIO_ACCOUNT_SID"] = TWILIO_SID
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def production_app(
    app: Flask, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Flask]:
    """Return an app built from the environment as production builds it, on the test database."""
    environment = {
        "APP_ENV": "production",
        "SECRET_KEY": "a-production-secret-only-these-tests-know",
        "TWILIO_AUTH_TOKEN": TOKEN,
        "TWILIO_ACCOUNT_SID": TWILIO_SID,
        "DATABASE_URL": database_url,
        "SIMULATOR_ENABLED": "1",  # refused: the simulator stays off in production all the same
        "PUBLIC_URL": PUBLIC_URL,  # required in production
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    production = create_app()
    # The test client speaks HTTPS, as the TLS-terminating proxy does in production, and sends
    # the Referer a browser sends (Flask-WTF checks it on HTTPS forms).
    production.config["PREFERRED_URL_SCHEME"] = "https"
    yield production
    with production.app_context():
        db.session.remove()
        db.engine.dispose()


def https_client(production: Flask) -> FlaskClient:
    """Return a test client of a production app that sends a same-site Referer, as browsers do."""
    client = production.test_client()
    client.environ_base["HTTP_REFERER"] = "https://localhost/staff/login"
    return client
