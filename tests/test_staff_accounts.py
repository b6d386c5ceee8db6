"""Passwords changed by their owner, by an admin or from the shell; accounts refused and why."""

from __future__ import annotations

import types

import pytest
import sqlalchemy as sa
from conftest import https_client
from helpers import csrf_token, post_form
from helpers import log_in as submit_login

from centre.extensions import db
from staff import accounts
from staff.models import AuditEntry, StaffUser

NEW = "Quince-Meadow-Lighthouse-42"
WEAK = "short"


def second_machine(app, member):  # type: ignore[no-untyped-def]
    """Return a client of the same person logged in on another machine."""
    laptop = app.test_client()
    assert submit_login(laptop, member.email, member.password).status_code == 302
    assert laptop.get("/staff/account").status_code == 200
    return laptop


def logs_in(app, email: str, password: str) -> bool:  # type: ignore[no-untyped-def]
    """Tell whether `password` opens the account on a fresh browser."""
    return submit_login(app.test_client(), email, password).status_code == 302


def password_entries(app) -> list[tuple[str, int | None]]:  # type: ignore[no-untyped-def]
    """Return (actor email, target id) of every password change in the audit log."""
    with app.app_context():
        rows = db.session.execute(
            sa.select(AuditEntry.actor_email, AuditEntry.target_id)
            .where(AuditEntry.action == "user.password")
            .order_by(AuditEntry.id)
        )
        return [tuple(row) for row in rows]


# --- changing one's own password ------------------------------------------------------------


def test_changing_ones_own_password_ends_the_other_sessions_but_keeps_this_one(app, log_in):
    agent = log_in("agent", "fr", locale="en")
    laptop = second_machine(app, agent.member)
    changed = post_form(
        agent,
        "/staff/account",
        {"action": "password", "current": agent.member.password, "new": NEW},
    )
    assert changed.status_code == 302
    page = agent.get("/staff/account")
    assert page.status_code == 200 and "Your password has been changed." in page.get_data(
        as_text=True
    )
    assert laptop.get("/staff/account").status_code == 302  # sent to the login page
    assert not logs_in(app, agent.member.email, agent.member.password)
    assert logs_in(app, agent.member.email, NEW)
    assert password_entries(app) == [(agent.member.email, agent.member.id)]


@pytest.mark.parametrize(
    ("current", "new", "message"),
    [
        ("Not-My-Password-At-All-1", NEW, "Your current password is wrong."),
        (None, WEAK, "Use at least 12 characters."),
        (None, "password1234", "too common or too easy to guess"),
    ],
)
def test_a_refused_password_change_says_why_and_changes_nothing(app, log_in, current, new, message):
    agent = log_in("agent", "fr", locale="en")
    laptop = second_machine(app, agent.member)
    refused = post_form(
        agent,
        "/staff/account",
        {"action": "password", "current": current or agent.member.password, "new": new},
    )
    assert refused.status_code == 200 and message in refused.get_data(as_text=True)
    assert laptop.get("/staff/account").status_code == 200  # no session ended
    assert logs_in(app, agent.member.email, agent.member.password)
    assert password_entries(app) == []


def test_a_new_password_is_refused_for_holding_ones_name_and_for_every_reason_at_once(app, log_in):
    agent = log_in("agent", "fr", locale="en", email="nadia.bennani@example.org")
    easy = "This password is too common or too easy to guess: choose another one."
    for new, message in (
        ("Nadia.Bennani-1987", easy),  # long enough, but the address's name is the first guess
        ("aaaa", f"Use at least 12 characters. {easy}"),  # both reasons, one after the other
    ):
        refused = post_form(
            agent,
            "/staff/account",
            {"action": "password", "current": agent.member.password, "new": new},
        )
        assert refused.status_code == 200 and message in refused.get_data(as_text=True), new
    assert logs_in(app, agent.member.email, agent.member.password)
    assert password_entries(app) == []


# --- an admin's reset -------------------------------------------------------------------------


def test_an_admins_password_reset_logs_the_person_out_everywhere(app, log_in):
    agent = log_in("agent", "fr")
    laptop = second_machine(app, agent.member)
    admin = log_in("admin", "", locale="en")
    reset = post_form(
        admin, f"/staff/users/{agent.member.id}", {"action": "password", "password": NEW}
    )
    assert reset.status_code == 302
    assert "Saved." in admin.get(reset.headers["Location"]).get_data(as_text=True)
    assert agent.get("/tickets/").status_code == 302
    assert laptop.get("/tickets/").status_code == 302
    assert admin.get("/staff/users").status_code == 200  # the admin's own session stays
    assert logs_in(app, agent.member.email, NEW)
    assert not logs_in(app, agent.member.email, agent.member.password)
    assert password_entries(app) == [(admin.member.email, agent.member.id)]


def test_an_admins_weak_reset_is_refused_and_the_person_stays_logged_in(app, log_in):
    agent = log_in("agent", "fr")
    admin = log_in("admin", "", locale="en")
    refused = post_form(
        admin, f"/staff/users/{agent.member.id}", {"action": "password", "password": WEAK}
    )
    assert refused.status_code == 200
    assert "Use at least 12 characters." in refused.get_data(as_text=True)
    assert agent.get("/tickets/").status_code == 200
    assert logs_in(app, agent.member.email, agent.member.password)


def test_an_unknown_account_is_a_404(log_in):
    admin = log_in("admin", "", locale="en")
    assert admin.get("/staff/users/999999").status_code == 404


# --- the shell ----------------------------------------------------------------------------


def test_a_password_set_from_the_shell_ends_the_accounts_sessions(app, runner, log_in):
    agent = log_in("agent", "fr")
    laptop = second_machine(app, agent.member)
    result = runner.invoke(args=["users", "password", agent.member.email.upper()], input=NEW + "\n")
    assert result.exit_code == 0, result.output
    assert f"password changed for {agent.member.email}" in result.output
    assert agent.get("/tickets/").status_code == 302
    assert laptop.get("/tickets/").status_code == 302
    assert logs_in(app, agent.member.email, NEW)
    assert password_entries(app) == [("cli", agent.member.id)]


def test_the_shell_refuses_a_weak_password_and_an_unknown_account(app, runner, log_in):
    agent = log_in("agent", "fr")
    weak = runner.invoke(args=["users", "password", agent.member.email], input=WEAK + "\n")
    assert weak.exit_code == 1 and "Use at least 12 characters." in weak.output
    assert agent.get("/tickets/").status_code == 200
    assert logs_in(app, agent.member.email, agent.member.password)
    unknown = runner.invoke(args=["users", "password", "nobody@example.org"], input=NEW + "\n")
    assert unknown.exit_code == 1 and "no account nobody@example.org" in unknown.output
    assert password_entries(app) == []


def test_the_shell_lists_accounts_with_role_languages_and_state(app, runner, make_user, log_in):
    make_user("agent", "fr ar", email="amina@example.org")
    make_user("supervisor", "", email="bruno@example.org")
    admin = log_in("admin", "")
    disabled = post_form(
        admin,
        "/staff/users/" + str(accounts_id(app, "amina@example.org")),
        {"action": "account", "role": "agent", "languages": "fr"},
    )
    assert disabled.status_code == 302
    result = runner.invoke(args=["users", "list"])
    assert result.exit_code == 0, result.output
    lines = [line.split() for line in result.output.splitlines()]
    assert ["amina@example.org", "agent", "fr", "disabled"] in lines
    assert ["bruno@example.org", "supervisor", "active"] in lines
    assert [line[0] for line in lines] == sorted(line[0] for line in lines)


class Terminal:
    """Standard input as a person at a terminal has it (the test runner's is a pipe)."""

    def isatty(self) -> bool:
        """Say this is a terminal."""
        return True


def test_at_a_terminal_the_password_is_hidden_and_asked_twice_until_both_agree(
    app, runner, monkeypatch
):
    monkeypatch.setattr("staff.cli.sys", types.SimpleNamespace(stdin=Terminal()))
    typed = f"{NEW}\nQuince-Meadow-Lighthouse-43\n{NEW}\n{NEW}\n"
    result = runner.invoke(
        args=["users", "create", "chief@example.org", "--role", "admin"], input=typed
    )
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "Password: ",
        "Repeat for confirmation: ",
        "Error: The two entered values do not match.",
        "Password: ",
        "Repeat for confirmation: ",
        "created chief@example.org (admin)",
    ]
    assert logs_in(app, "chief@example.org", NEW)


def accounts_id(app, email: str) -> int:  # type: ignore[no-untyped-def]
    """Return the id of the account with `email`."""
    with app.app_context():
        user = accounts.by_email(email)
        assert user is not None
        return user.id


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["no-at-sign", "--role", "admin"], "Enter a valid email address."),
        (["a@example.org", "--role", "agent"], "An agent needs at least one language."),
        (["a@example.org", "--role", "agent", "--languages", "fr,pt"], "Unknown language: pt."),
        (["a@example.org", "--role", "admin", "--phone", "0612"], "international format"),
    ],
)
def test_the_shell_refuses_an_account_and_says_why(app, runner, args, message):
    result = runner.invoke(args=["users", "create", *args], input=NEW + "\n")
    assert result.exit_code == 1 and message in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(StaffUser)) == 0


def test_the_shell_refuses_a_second_account_with_the_same_email(app, runner, make_user):
    make_user("admin", "", email="chief@example.org")
    result = runner.invoke(
        args=["users", "create", " Chief@Example.org ", "--role", "admin"], input=NEW + "\n"
    )
    assert result.exit_code == 1
    assert "An account with this email already exists." in result.output


# --- account forms in the browser ----------------------------------------------------------


def post_new_account(admin, fields):
    """Post the new-account form: a valid agent's, with `fields` over it (None leaves one out)."""
    form = {
        "email": "new@example.org",
        "password": NEW,
        "role": "agent",
        "languages": "fr",
        **fields,
    }
    return post_form(
        admin,
        "/staff/users/new",
        {name: value for name, value in form.items() if value is not None},
    )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"email": "a b@example.org"}, "Enter a valid email address."),
        ({"role": "boss"}, "Unknown role: boss."),
        ({"languages": None}, "An agent needs at least one language."),  # no box ticked
        ({"languages": "xx"}, "Unknown language: xx."),
        ({"locale": "pt"}, "Unknown language: pt."),
        ({"phone": "0612345678"}, "Enter numbers in international format, e.g. +33612345678."),
        ({"email": "taken@example.org"}, "An account with this email already exists."),
        (  # the address's name is the first guess at a password
            {"email": "nadia.bennani@example.org", "password": "Nadia.Bennani-1987"},
            "This password is too common or too easy to guess: choose another one.",
        ),
    ],
)
def test_the_new_account_form_says_what_is_wrong_and_creates_nothing(
    app, log_in, make_user, fields, message
):
    make_user("agent", "fr", email="taken@example.org")
    admin = log_in("admin", "", locale="en")
    refused = post_new_account(admin, fields)
    assert refused.status_code == 200
    assert message in refused.get_data(as_text=True)
    with app.app_context():
        assert accounts.by_email("new@example.org") is None
        assert db.session.scalar(sa.select(sa.func.count()).select_from(StaffUser)) == 2


def test_an_agents_languages_are_kept_once_each_in_the_order_given(app, log_in):
    admin = log_in("admin", "")
    form = {
        "email": "polyglot@example.org",
        "password": NEW,
        "role": "agent",
        "languages": ["ar", "FR", "ar", "nl"],
        "phone": "+212 6 00 00 00 01",
    }
    created = admin.post(
        "/staff/users/new", data={"csrf_token": csrf_token(admin, "/staff/users/new"), **form}
    )
    assert created.status_code == 302
    with app.app_context():
        user = accounts.by_email("polyglot@example.org")
        assert (user.languages, user.phone) == ("ar fr nl", "+212600000001")


def test_saving_an_account_unchanged_writes_no_audit_entry(app, log_in, make_user):
    member = make_user("agent", "fr", phone="+212600000002")
    admin = log_in("admin", "")
    before = len(audit_actions(app))
    saved = post_form(
        admin,
        f"/staff/users/{member.id}",
        {
            "action": "account",
            "role": "agent",
            "languages": "fr",
            "phone": "+212600000002",
            "active": "on",
        },
    )
    assert saved.status_code == 302
    assert len(audit_actions(app)) == before


def audit_actions(app) -> list[str]:  # type: ignore[no-untyped-def]
    """Return the audit log's actions, oldest first."""
    with app.app_context():
        return list(db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))


# --- CSRF over HTTPS -----------------------------------------------------------------------


def test_over_https_a_form_posted_from_another_site_is_refused_even_with_its_token(
    production_app, make_user
):
    member = make_user("agent", "fr")
    client = https_client(production_app)
    assert submit_login(client, member.email, member.password).status_code == 302
    token = csrf_token(client, "/staff/account")
    for referer in ("https://evil.example/staff/account", None):
        if referer is None:
            client.environ_base.pop("HTTP_REFERER", None)
        else:
            client.environ_base["HTTP_REFERER"] = referer
        refused = client.post("/staff/logout", data={"csrf_token": token})
        assert refused.status_code == 400, referer
    client.environ_base["HTTP_REFERER"] = "https://localhost/staff/account"
    assert client.get("/staff/account").status_code == 200  # still logged in
    assert client.post("/staff/logout", data={"csrf_token": token}).status_code == 302


# --- refusals in the reader's language ------------------------------------------------------

# What a French admin reads (translations/fr), and what is echoed of an over-long entry: the
# first 20 characters of a role, the first 10 of a language code.
FRENCH_REFUSALS = [
    ({"email": "a b@example.org"}, "Saisissez une adresse électronique valide."),
    ({"email": "no-at-sign"}, "Saisissez une adresse électronique valide."),
    ({"role": "boss"}, "Rôle inconnu : boss."),
    ({"role": "r" * 30}, "Rôle inconnu : " + "r" * 20 + "."),
    ({"languages": None}, "Un agent doit parler au moins une langue."),
    ({"languages": "xx"}, "Langue inconnue : xx."),
    ({"languages": "x" * 30}, "Langue inconnue : " + "x" * 10 + "."),
    ({"locale": "pt"}, "Langue inconnue : pt."),
    ({"locale": "y" * 30}, "Langue inconnue : " + "y" * 10 + "."),
    (
        {"phone": "0612345678"},
        "Saisissez les numéros au format international, par ex. +33612345678.",
    ),
    ({"email": "taken@example.org"}, "Un compte existe déjà avec cette adresse."),
    # Two problems at once, each said, one after the other.
    (
        {"password": "aaaa"},
        "Utilisez au moins 12 caractères. "
        "Ce mot de passe est trop courant ou trop facile à deviner : choisissez-en un autre.",
    ),
]


@pytest.mark.parametrize(("fields", "message"), FRENCH_REFUSALS)
def test_a_french_admin_reads_why_an_account_is_refused_in_french(
    app, log_in, make_user, fields, message
):
    make_user("agent", "fr", email="taken@example.org")
    admin = log_in("admin", "", locale="fr")
    refused = post_new_account(admin, fields)
    assert refused.status_code == 200
    assert f'role="alert">{message}</p>' in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(StaffUser)) == 2


def test_a_french_admin_changing_their_own_role_is_told_why_in_french(app, log_in):
    admin = log_in("admin", "", locale="fr")
    own = f"/staff/users/{admin.member.id}"
    refused = post_form(admin, own, {"action": "account", "role": "agent", "languages": "fr"})
    assert refused.status_code == 200
    page = refused.get_data(as_text=True)
    assert "Vous ne pouvez ni désactiver votre propre compte ni changer votre rôle." in page
