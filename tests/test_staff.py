"""Staff accounts: passwords, login throttling, sessions, headers, CSRF, audit log, language."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest
import redis
import sqlalchemy as sa
from argon2 import PasswordHasher
from conftest import https_client
from helpers import csrf_token, log_in, post_form

from centre import settings
from centre.extensions import db
from centre.ratelimit import RateCounter
from staff import accounts, passwords
from staff.audit import AuditLogIsAppendOnly
from staff.models import AuditEntry, StaffSession, StaffUser

STRONG = "Kumquat-Harbour-Lantern-7"


def actions(app) -> list[str]:  # type: ignore[no-untyped-def]
    """Return the audit log's actions, oldest first."""
    with app.app_context():
        return list(db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))


# --- passwords and the command line --------------------------------------------------------


def test_the_first_admin_is_created_from_the_shell_with_the_password_on_stdin(app, runner):
    result = runner.invoke(
        args=["users", "create", "Chief@Example.org", "--role", "admin"], input=STRONG + "\n"
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(sa.select(StaffUser))
        assert user.email == "chief@example.org" and user.role == "admin"
        assert user.password_hash.startswith("$argon2id$")
        assert STRONG not in user.password_hash
    client = app.test_client()
    assert log_in(client, "chief@example.org", STRONG).status_code == 302
    assert "user.create" in actions(app)


def test_an_agent_gets_their_languages_from_the_shell(app, runner):
    result = runner.invoke(
        args=["users", "create", "a@example.org", "--role", "agent", "--languages", "fr,ar"],
        input=STRONG + "\n",
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert accounts.by_email("a@example.org").language_codes == ["fr", "ar"]
    refused = runner.invoke(
        args=["users", "create", "b@example.org", "--role", "agent", "--languages", "xx"],
        input=STRONG + "\n",
    )
    assert refused.exit_code != 0 and "Unknown language" in refused.output


@pytest.mark.parametrize(
    "password",
    [
        "short-1A!",
        "x" * 11,
        "Q" * 65,
        "password1234",
        "Motdepasse2024!",
        "qwertyuiop123",
        "123456789012",
        "aaaaaaaaaaaaaaa",
        "azerty123456",
        "Casablanca2025",
    ],
)
def test_short_long_common_and_breached_passwords_are_refused(app, runner, password):
    result = runner.invoke(
        args=["users", "create", "c@example.org", "--role", "admin"], input=password + "\n"
    )
    assert result.exit_code != 0
    with app.app_context():
        assert accounts.by_email("c@example.org") is None


def test_twelve_and_sixty_four_characters_are_accepted(app):
    with app.test_request_context():
        assert passwords.problems("Lantern-Kumq") == []
        assert passwords.problems("Lantern-Kumquat-" * 4) == []
        assert passwords.problems("Lantern-Kumquat-" * 4 + "x") != []
        assert passwords.problems("renata-2026-Lantern", "renata@example.org") != []
    assert len(passwords.common_passwords()) > 2000


@pytest.mark.real_password_hashing
def test_passwords_are_hashed_with_argon2id_at_owasp_strength_or_more(app):
    found = re.fullmatch(
        r"\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$[^$]{16,}\$[^$]{32,}",
        passwords.hash_password(STRONG),
    )
    assert found, "not an argon2id hash"
    memory, time, lanes = (int(value) for value in found.groups())
    # OWASP's floor is 19 MiB and 2 passes; RFC 9106's low-memory profile is 64 MiB, 3 passes.
    assert memory >= 19 * 1024 and time >= 2 and lanes >= 1
    assert passwords.verify_password(found.group(0), STRONG)
    assert not passwords.verify_password(found.group(0), STRONG + "x")


@pytest.mark.real_password_hashing
def test_a_password_hashed_at_an_older_weaker_cost_is_rehashed_at_todays_on_its_next_login(
    app, make_user
):
    member = make_user("agent", "fr")
    with app.app_context():
        user = db.session.get(StaffUser, member.id)
        # As an older release stored it: argon2id at 8 KiB and one pass.
        user.password_hash = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(
            member.password
        )
        db.session.commit()
    assert log_in(app.test_client(), member.email, member.password).status_code == 302
    with app.app_context():
        stored = db.session.get(StaffUser, member.id).password_hash
    # RFC 9106's low-memory profile, the app's cost: 64 MiB, 3 passes, 4 lanes.
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert log_in(app.test_client(), member.email, member.password).status_code == 302
    assert log_in(app.test_client(), member.email, STRONG + "x").status_code == 401


def test_every_password_of_the_shipped_list_is_refused_however_it_is_dressed_up(app):
    listed = sorted(passwords.common_passwords())
    assert len(listed) > 8000
    with app.test_request_context():
        accepted = [
            word
            for word in listed
            for dressed in (word, word.upper() + "2026!", "#" + word)
            if not passwords.problems(dressed)
        ]
    assert not accepted


def test_sixty_four_characters_work_in_the_browser_and_sixty_five_are_refused(app, log_in):
    admin = log_in("admin", "")
    longest = "Lantern-Kumquat-" * 4
    for email, password, answer in (
        ("long@example.org", longest, 302),
        ("longer@example.org", longest + "x", 200),
    ):
        response = post_form(
            admin,
            "/staff/users/new",
            {"email": email, "password": password, "role": "agent", "languages": "es"},
        )
        assert response.status_code == answer
    with app.app_context():
        assert accounts.by_email("longer@example.org") is None
    from helpers import log_in as submit

    assert submit(app.test_client(), "long@example.org", longest).status_code == 302
    assert submit(app.test_client(), "long@example.org", longest[:-1]).status_code == 401


def test_password_fields_state_the_limits_the_server_enforces(app, log_in, monkeypatch):
    monkeypatch.setattr(passwords, "MIN_LENGTH", 16)
    monkeypatch.setattr(passwords, "MAX_LENGTH", 40)
    admin = log_in("admin", "", locale="en")
    pages = [
        admin.get(path).get_data(as_text=True)
        for path in ("/staff/users/new", f"/staff/users/{admin.member.id}", "/staff/account")
    ]
    for page in pages:
        assert 'minlength="16" maxlength="40"' in page and "(16 to 40 characters)" in page
        assert "12" not in re.findall(r'minlength="(\d+)"', page)
    refused = post_form(
        admin,
        "/staff/users/new",
        {
            "email": "a@example.org",
            "role": "agent",
            "password": "Lantern-Kumquat",
            "languages": "fr",
        },
    )
    assert refused.status_code == 200 and "Use at least 16 characters." in refused.get_data(
        as_text=True
    )
    login = app.test_client().get("/staff/login").get_data(as_text=True)
    assert f'maxlength="{passwords.TYPED_MAX_LENGTH}"' in login


# --- logging in ----------------------------------------------------------------------------


def test_a_visitor_goes_to_the_login_page_and_back_to_the_desk(app, make_user):
    member = make_user("agent", "fr")
    client = app.test_client()
    first = client.get("/tickets/?status=all")
    assert first.status_code == 302 and "/staff/login?next=" in first.headers["Location"]
    response = log_in(client, member.email, member.password, next_path="/tickets/?status=all")
    assert response.status_code == 302 and response.headers["Location"] == "/tickets/?status=all"
    assert client.get("/tickets/?status=all").status_code == 200


def test_the_login_never_redirects_off_the_site(app, make_user):
    member = make_user("agent", "fr")
    client = app.test_client()
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = log_in(client, member.email, member.password, next_path=target)
        assert response.headers["Location"] == "/tickets/"


def test_logging_in_gives_a_new_session_and_forgets_the_anonymous_one(app, make_user):
    member = make_user("agent", "fr")
    # An attacker gets a session cookie from the login page and plants it in the victim's browser.
    attacker = app.test_client()
    anonymous_token = csrf_token(attacker)
    planted = attacker.get_cookie("session").value
    victim = app.test_client()
    victim.set_cookie("session", planted)
    assert log_in(victim, member.email, member.password).status_code == 302
    after = victim.get_cookie("session").value
    assert after != planted
    assert csrf_token(victim, "/tickets/") != anonymous_token
    assert victim.get("/tickets/").status_code == 200
    stolen = attacker.get("/tickets/")  # the planted cookie is still anonymous
    assert stolen.status_code == 302 and "/staff/login" in stolen.headers["Location"]
    other = app.test_client()
    log_in(other, member.email, member.password)
    assert other.get_cookie("session").value != after
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(StaffSession)) == 2


def test_logging_in_again_ends_the_session_the_browser_had(app, make_user):
    member, colleague = make_user("agent", "fr"), make_user("agent", "fr")
    client = app.test_client()
    log_in(client, member.email, member.password)
    before = client.get_cookie("session").value
    assert log_in(client, colleague.email, colleague.password).status_code == 302
    copy = app.test_client()
    copy.set_cookie("session", before)
    assert copy.get("/tickets/").status_code == 302
    with app.app_context():
        open_sessions = db.session.scalars(
            sa.select(StaffSession.user_id).where(StaffSession.ended_at.is_(None))
        ).all()
        assert open_sessions == [colleague.id]


def test_bad_and_good_logins_are_audited(app, make_user):
    member = make_user("agent", "fr")
    client = app.test_client()
    wrong = log_in(client, member.email, "not-the-password-at-all")
    assert wrong.status_code == 401
    unknown = log_in(client, "nobody@example.org", "not-the-password-at-all")
    assert unknown.status_code == 401
    assert wrong.get_data(as_text=True).count("incorrect") == 1  # the same answer for both
    assert unknown.get_data(as_text=True).count("incorrect") == 1
    log_in(client, member.email, member.password)
    assert actions(app)[-3:] == ["login.failed", "login.failed", "login.success"]
    # Each entry names the account tried (by its id when it exists) and who typed it.
    with app.app_context():
        rows = db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action.like("login.%")).order_by(AuditEntry.id)
        ).all()
        logged = [(r.action, r.target_type, r.target_id, r.actor_email) for r in rows]
    assert logged == [
        ("login.failed", "user", member.id, member.email),
        ("login.failed", "user", None, "nobody@example.org"),
        ("login.success", "user", member.id, member.email),
    ]


@pytest.fixture(params=["database", "redis"])
def two_instances(request, make_app, app) -> Iterator[tuple]:  # type: ignore[no-untyped-def]
    """Return two app instances sharing the login throttle's store (the database or Redis)."""
    config: dict[str, str] = {}
    if request.param == "redis":
        config = request.getfixturevalue("redis_config")
    first, second = make_app(**config), make_app(**config)
    yield first, second
    if config:
        store = redis.Redis.from_url(config["REDIS_URL"])
        keys = list(store.scan_iter(config["REDIS_PREFIX"] + "*"))
        assert keys, "the throttle did not count in Redis"
        store.delete(*keys)
    with app.app_context():
        assert (db.session.scalar(sa.select(sa.func.count()).select_from(RateCounter)) > 0) == (
            not config
        ), "the throttle counted in the wrong store"


def test_five_failures_on_one_instance_lock_the_account_on_the_other(two_instances, app, make_user):
    first, second = two_instances
    member, bystander = make_user("agent", "fr"), make_user("agent", "fr")
    for _ in range(5):
        assert log_in(first.test_client(), member.email, "wrong-password-123").status_code == 401
    blocked = log_in(second.test_client(), member.email, member.password)
    assert blocked.status_code == 401 and "Trop de tentatives" in blocked.get_data(as_text=True)
    assert "login.throttled" in actions(app)
    # The same address may still log in to another account: this limit is the account's.
    assert log_in(second.test_client(), bystander.email, bystander.password).status_code == 302


def test_twenty_failures_from_one_address_across_instances_lock_that_address(
    two_instances, make_user
):
    first, second = two_instances
    member = make_user("agent", "fr")
    for n in range(20):
        instance = first if n % 2 else second
        log_in(instance.test_client(), f"guess{n}@example.org", "wrong-password-123")
    assert log_in(first.test_client(), member.email, member.password).status_code == 401
    elsewhere = second.test_client()
    response = elsewhere.post(
        "/staff/login",
        data={
            "csrf_token": csrf_token(elsewhere),
            "email": member.email,
            "password": member.password,
        },
        environ_base={"REMOTE_ADDR": "10.9.8.7"},
    )
    assert response.status_code == 302


# --- sessions ------------------------------------------------------------------------------


def test_a_cookie_captured_before_logout_is_useless_after_it(app, log_in):
    client = log_in("agent", "fr")
    stolen = client.get_cookie("session").value
    post_form(client, "/staff/logout", {}, page="/tickets/")
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    response = thief.get("/tickets/")
    assert response.status_code == 302 and "/staff/login" in response.headers["Location"]


def test_a_refused_page_and_a_logout_are_audited_with_who_and_what(app, log_in):
    agent = log_in("agent", "fr")
    assert agent.get("/staff/audit?action=logout").status_code == 403
    post_form(agent, "/staff/logout", {}, page="/tickets/")
    with app.app_context():
        rows = db.session.scalars(
            sa.select(AuditEntry)
            .where(AuditEntry.action.in_(["access.refused", "logout"]))
            .order_by(AuditEntry.id)
        ).all()
        logged = [(r.action, r.target_type, r.target_id, r.actor_email, r.after) for r in rows]
    email = agent.member.email
    assert logged == [
        ("access.refused", None, None, email, {"path": "/staff/audit"}),
        ("logout", "user", agent.member.id, email, None),
    ]


def test_a_refused_address_of_any_length_is_logged_by_its_first_two_hundred_characters(app, log_in):
    agent = log_in("agent", "fr")
    assert agent.get("/reports/" + "x" * 300 + ".csv").status_code == 403
    with app.app_context():
        logged = db.session.scalars(
            sa.select(AuditEntry.after).where(AuditEntry.action == "access.refused")
        ).all()
    # "/reports/" is 9 characters: the entry keeps 191 of the 300 x's, and no ".csv".
    assert logged == [{"path": "/reports/" + "x" * 191}]


def test_disabling_a_user_ends_their_sessions_at_once(app, log_in):
    agent = log_in("agent", "fr")
    assert agent.get("/tickets/").status_code == 200
    from helpers import log_in as submit

    laptop = app.test_client()  # the same person logged in on a second machine
    assert submit(laptop, agent.member.email, agent.member.password).status_code == 302
    admin = log_in("admin", "")
    user_id = agent.member.id
    response = post_form(
        admin, f"/staff/users/{user_id}", {"action": "account", "role": "agent", "languages": "fr"}
    )
    assert response.status_code == 302
    assert agent.get("/tickets/").status_code == 302
    assert laptop.get("/tickets/").status_code == 302
    assert "user.update" in actions(app)
    again = app.test_client()  # nor can the disabled account log in again
    assert submit(again, agent.member.email, agent.member.password).status_code == 401


def test_sessions_expire_after_thirty_idle_minutes(app, log_in, time_machine):
    time_machine.move_to("2026-12-01T09:00:00+00:00", tick=False)
    client = log_in("agent", "fr")
    time_machine.shift(29 * 60)
    assert client.get("/tickets/").status_code == 200
    time_machine.shift(31 * 60)
    assert client.get("/tickets/").status_code == 302


def test_thirty_idle_minutes_are_kept_to_the_second_as_the_sweep_keeps_them(
    app, log_in, time_machine
):
    # The sweep that releases agents (test_taking_calls.py) keeps the same thirty minutes.
    time_machine.move_to("2026-12-01T09:00:00+00:00", tick=False)
    on_time, late = log_in("agent", "fr"), log_in("agent", "fr")
    time_machine.move_to("2026-12-01T09:30:00+00:00", tick=False)
    assert on_time.get("/tickets/").status_code == 200
    time_machine.move_to("2026-12-01T09:30:01+00:00", tick=False)
    assert late.get("/tickets/").status_code == 302


def test_a_page_opened_a_minute_after_logging_in_restarts_the_thirty_minutes(
    app, log_in, time_machine
):
    time_machine.move_to("2026-12-01T09:00:00+00:00", tick=False)
    client = log_in("agent", "fr")
    time_machine.move_to("2026-12-01T09:01:00+00:00", tick=False)
    assert client.get("/tickets/").status_code == 200
    time_machine.move_to("2026-12-01T09:30:30+00:00", tick=False)  # 29.5 minutes after that page
    assert client.get("/tickets/").status_code == 200


def test_a_cookie_whose_session_the_database_no_longer_holds_leads_to_the_login_page(app, log_in):
    # As after the database is restored from a backup taken before this login.
    client = log_in("agent", "fr")
    with app.app_context():
        db.session.execute(sa.delete(StaffSession))
        db.session.commit()
    response = client.get("/tickets/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/login?next=/tickets/"


def test_a_stylesheet_fetched_by_the_browser_does_not_keep_an_idle_session_open(
    app, log_in, time_machine
):
    # A tab left open fetches its stylesheet again (reload, cache revalidation): that is the
    # browser, not the person at work; the thirty idle minutes still run from the last page.
    time_machine.move_to("2026-12-01T09:00:00+00:00", tick=False)
    client = log_in("agent", "fr")
    assert client.get("/tickets/").status_code == 200
    time_machine.shift(29 * 60)
    with client.get("/staff/static/staff.css") as stylesheet:
        assert stylesheet.status_code == 200
    time_machine.shift(2 * 60)
    assert client.get("/tickets/").status_code == 302


def test_sessions_end_after_twelve_hours_however_busy(app, log_in, time_machine):
    time_machine.move_to("2026-12-01T07:00:00+00:00", tick=False)
    client = log_in("agent", "fr")
    for _ in range(36):  # a request every 20 minutes, the last one at the twelfth hour
        time_machine.shift(20 * 60)
        assert client.get("/tickets/").status_code == 200
    time_machine.shift(1)  # 19:00:01
    assert client.get("/tickets/").status_code == 302


def test_the_idle_and_absolute_limits_cannot_be_set_above_30_minutes_and_12_hours():
    generous = {"STAFF_IDLE_MINUTES": "240", "STAFF_ABSOLUTE_HOURS": "72"}
    config = settings.from_environment(generous)
    assert (config["STAFF_IDLE_MINUTES"], config["STAFF_ABSOLUTE_HOURS"]) == (30, 12)
    strict = settings.from_environment({"STAFF_IDLE_MINUTES": "10", "STAFF_ABSOLUTE_HOURS": "8"})
    assert (strict["STAFF_IDLE_MINUTES"], strict["STAFF_ABSOLUTE_HOURS"]) == (10, 8)
    assert settings.from_environment({})["STAFF_IDLE_MINUTES"] == 30


def test_cookies_are_secure_httponly_and_lax_outside_development(
    production_app, app, make_app, make_user
):
    member = make_user("agent", "fr")
    client = https_client(production_app)
    response = log_in(client, member.email, member.password)
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert "; Secure" in cookie and "; HttpOnly" in cookie and "; SameSite=Lax" in cookie
    expires = parsedate_to_datetime(re.search(r"Expires=([^;]+)", cookie).group(1))
    assert expires <= datetime.now(UTC) + timedelta(hours=12, minutes=1)
    assert client.get("/tickets/").status_code == 200
    # The tests' own app is no exception: its cookies are Secure too (no switch for tests).
    cookie = log_in(app.test_client(), member.email, member.password).headers["Set-Cookie"]
    assert "; Secure" in cookie and "; HttpOnly" in cookie
    # A developer's plain-HTTP machine still logs in, without the Secure flag.
    development = make_app(APP_ENV="development").test_client()
    cookie = log_in(development, member.email, member.password).headers["Set-Cookie"]
    assert "Secure" not in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


# --- headers and CSRF ----------------------------------------------------------------------


# Every page's headers, as every role, in production: tests/test_staff_routes.py.


def test_hsts_is_sent_over_https_outside_development_only(production_app, app, make_app):
    production = https_client(production_app).get("/staff/login")
    assert "max-age=31536000" in production.headers["Strict-Transport-Security"]
    # The tests' own app behaves as production does: HSTS over HTTPS, never over plain HTTP.
    secure = app.test_client().get("/staff/login", base_url="https://localhost")
    assert "max-age=31536000" in secure.headers["Strict-Transport-Security"]
    assert "Strict-Transport-Security" not in app.test_client().get("/staff/login").headers
    development = make_app(APP_ENV="development").test_client()
    over_https = development.get("/staff/login", base_url="https://localhost")
    assert "Strict-Transport-Security" not in over_https.headers


def test_a_form_without_its_csrf_token_is_refused_and_audited(app, log_in):
    client = log_in("agent", "fr")
    response = client.post("/staff/logout")
    assert response.status_code == 400
    assert client.get("/tickets/").status_code == 200  # still logged in
    assert "csrf.refused" in actions(app)
    assert app.test_client().post("/staff/login", data={"email": "x"}).status_code == 400


# --- accounts in the browser and the audit log --------------------------------------------


def test_an_admin_creates_an_account_and_changes_its_role_with_before_and_after(app, log_in):
    admin = log_in("admin", "")
    created = post_form(
        admin,
        "/staff/users/new",
        {"email": "new@example.org", "password": STRONG, "role": "agent", "languages": "es"},
        page="/staff/users/new",
    )
    assert created.status_code == 302
    with app.app_context():
        user = accounts.by_email("new@example.org")
        assert user.role == "agent" and user.languages == "es"
        user_id = user.id
    changed = post_form(
        admin,
        f"/staff/users/{user_id}",
        {"action": "account", "role": "supervisor", "languages": "es", "active": "on"},
    )
    assert changed.status_code == 302
    with app.app_context():
        entry = db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "user.role")
        ).one()
        assert entry.before == {"role": "agent"} and entry.after == {"role": "supervisor"}
        assert entry.actor_email == admin.member.email and entry.target_id == user_id


def test_an_admin_cannot_disable_their_own_account_nor_change_their_own_role(app, log_in):
    # The last admin could lock everyone out of the accounts page: refused, with a reason.
    admin = log_in("admin", "", locale="en")
    own = f"/staff/users/{admin.member.id}"
    for change in ({"role": "agent", "active": "on"}, {"role": "admin"}):
        refused = post_form(admin, own, {"action": "account", "languages": "", **change})
        assert refused.status_code == 200, change
        page = refused.get_data(as_text=True)
        assert "You cannot disable your own account or change your role." in page, change
    with app.app_context():
        user = accounts.by_email(admin.member.email)
        assert (user.role, user.active) == ("admin", True)
        assert not db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action.in_(["user.role", "user.update"]))
        ).all()
    # Their own languages are theirs to change.
    kept = post_form(
        admin, own, {"action": "account", "role": "admin", "languages": "ar", "active": "on"}
    )
    assert kept.status_code == 302
    with app.app_context():
        assert accounts.by_email(admin.member.email).languages == "ar"


def test_a_weak_password_is_refused_in_the_browser_too(app, log_in):
    admin = log_in("admin", "")
    response = post_form(
        admin,
        "/staff/users/new",
        {
            "email": "weak@example.org",
            "password": "password1234",
            "role": "agent",
            "languages": "es",
        },
    )
    assert response.status_code == 200 and "weak@example.org" in response.get_data(as_text=True)
    with app.app_context():
        assert accounts.by_email("weak@example.org") is None


def test_an_admin_cannot_lock_themselves_out(app, log_in):
    admin = log_in("admin", "")
    response = post_form(
        admin,
        f"/staff/users/{admin.member.id}",
        {"action": "account", "role": "agent", "languages": "fr"},
    )
    assert response.status_code == 200
    with app.app_context():
        assert db.session.get(StaffUser, admin.member.id).role == "admin"


def test_supervisors_read_the_audit_log_and_agents_are_refused(app, log_in):
    agent = log_in("agent", "fr")
    assert agent.get("/staff/audit").status_code == 403
    supervisor = log_in("supervisor", "", locale="fr")
    page = supervisor.get("/staff/audit")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    # Actions and what they are about by their names in the reader's language, never as codes.
    assert "<td>Accès refusé</td>" in text and "<td>Connexion</td>" in text
    assert "access.refused</td>" not in text and "login.success</td>" not in text
    assert '<td>Compte <a href="/staff/users/' in text  # the account, named by its email
    refusals = supervisor.get("/staff/audit?action=access.refused").get_data(as_text=True)
    assert '<option value="access.refused" selected>Accès refusé</option>' in refusals
    assert "<td>Accès refusé</td>" in refusals and "<td>Connexion</td>" not in refusals
    assert supervisor.get("/staff/audit?action=login").status_code == 200


def test_staff_pages_name_languages_in_the_readers_language(app, log_in, make_user):
    make_user("agent", "ar nl", email="nadia@example.org")
    admin = log_in("admin", "", locale="fr")
    users = admin.get("/staff/users").get_data(as_text=True)
    assert "<td>Arabe, Néerlandais</td>" in users and "ar nl" not in users
    german = log_in("agent", "de en", locale="de").get("/staff/account").get_data(as_text=True)
    assert "Deutsch, Englisch" in german


def test_the_audit_log_cannot_be_changed_or_deleted(app, log_in):
    log_in("agent", "fr")
    with app.app_context():
        entry = db.session.scalars(sa.select(AuditEntry)).first()
        entry.action = "nothing.happened"
        with pytest.raises(AuditLogIsAppendOnly):
            db.session.flush()
        db.session.rollback()
        entry = db.session.scalars(sa.select(AuditEntry)).first()
        db.session.delete(entry)
        with pytest.raises(AuditLogIsAppendOnly):
            db.session.flush()
        db.session.rollback()
        with pytest.raises(AuditLogIsAppendOnly):
            db.session.execute(sa.delete(AuditEntry))
        with pytest.raises(AuditLogIsAppendOnly):
            db.session.execute(sa.update(AuditEntry).values(action="x"))
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) >= 2


# --- the staff member's language ----------------------------------------------------------


def test_the_interface_follows_the_user_setting_then_the_browser_then_french(app, log_in):
    arabic = log_in("agent", "ar", locale="ar")
    page = arabic.get("/tickets/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in page and "التذاكر" in page
    browser = log_in("agent", "fr")
    page = browser.get("/tickets/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="en" dir="ltr">' in page and "Consular call centre" in page
    assert "Centre d'appels consulaire" not in page
    page = browser.get("/tickets/").get_data(as_text=True)
    assert '<html lang="fr" dir="ltr">' in page


def test_choosing_as_my_browser_gives_the_browsers_language_from_the_next_page_on(app, log_in):
    client = log_in("agent", "ar", locale="ar")
    saved = post_form(client, "/staff/account", {"action": "preferences", "locale": ""})
    assert saved.status_code == 302
    page = client.get("/tickets/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="en" dir="ltr">' in page and "Consular call centre" in page


def test_a_staff_member_sets_their_own_language_and_phone(app, log_in):
    client = log_in("agent", "fr")
    response = post_form(
        client,
        "/staff/account",
        {"action": "preferences", "locale": "de", "phone": "+212 600-000001"},
    )
    assert response.status_code == 302
    page = client.get("/staff/account").get_data(as_text=True)
    assert '<html lang="de"' in page and "+212600000001" in page


def test_setup_demo_prints_each_demo_password_once_and_it_logs_in(app, runner):
    first = runner.invoke(args=["setup", "--demo"])
    assert first.exit_code == 0, first.output
    found = re.search(r"agent\.ar@example\.org\s+agent\s+password: (\S+)", first.output)
    assert found, first.output
    client = app.test_client()
    assert log_in(client, "agent.ar@example.org", found.group(1)).status_code == 302
    page = client.get("/tickets/").get_data(as_text=True)
    assert 'dir="rtl"' in page
    second = runner.invoke(args=["setup", "--demo"])
    assert "password:" not in second.output


@pytest.mark.parametrize(
    ("locale", "refused", "missing"),
    [
        ("fr", "Accès non autorisé", "Page introuvable"),
        ("ar", "غير مسموح", "الصفحة غير موجودة"),
    ],
)
def test_error_pages_are_headed_in_words_not_codes(app, log_in, locale, refused, missing):
    agent = log_in("agent", "fr", locale=locale)

    forbidden = agent.get("/staff/audit")
    assert forbidden.status_code == 403
    assert f"<h1>{refused}</h1>" in forbidden.get_data(as_text=True)
    absent = agent.get("/tickets/no-such-page/at-all")
    assert absent.status_code == 404
    page = absent.get_data(as_text=True)
    assert f"<h1>{missing}</h1>" in page
    assert "<h1>404" not in page and "<title>404" not in page
