"""Demo staff accounts for `flask setup --demo`, each with a fresh random password printed once."""

from __future__ import annotations

import os
import secrets

from flask import current_app

from centre.extensions import db
from staff import accounts

DEMO_USERS = [
    # (email, role, languages, interface language, phone)
    ("admin@example.org", "admin", "", "en", None),
    ("supervisor@example.org", "supervisor", "", "fr", None),
    ("agent.fr@example.org", "agent", "fr es", "fr", "+212600000101"),
    ("agent.ar@example.org", "agent", "ar fr", "ar", "+212600000102"),
    ("agent.en@example.org", "agent", "en nl de it", "en", "+212600000103"),
    ("editor@example.org", "editor", "", "fr", None),
]


RESET = ".venv/bin/flask --app app users password {email}"


def demo_password() -> str:
    """Return a random password of 128 bits (22 characters), as strong as any account needs."""
    return secrets.token_urlsafe(16)


def load_demo_users() -> list[str]:
    """Create the demo accounts that do not exist yet; return a line per account for the shell."""
    lines = []
    for email, role, codes, locale, phone in DEMO_USERS:
        if accounts.by_email(email) is not None:
            lines.append(f"{email:<26} {role:<10} (exists; {RESET.format(email=email)} resets it)")
            continue
        password = demo_password()
        accounts.create(email, password, role, codes, locale, phone, actor_email="setup --demo")
        lines.append(f"{email:<26} {role:<10} password: {password}")
    db.session.flush()
    return lines


def demo_lines() -> list[str]:
    """Add the demo accounts; return what `flask setup --demo` prints of them."""
    base = (
        current_app.config.get("PUBLIC_URL") or f"http://127.0.0.1:{os.environ.get('PORT', '5000')}"
    )
    return [
        f"Staff login: {base.rstrip('/')}/staff/login",
        "Demo staff accounts (passwords are shown once):",
        *("  " + line for line in load_demo_users()),
        f"To choose another, run {RESET.format(email='EMAIL')} (it reads the new one).",
    ]
