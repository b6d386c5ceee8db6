"""Creating and changing staff accounts; every change goes to the audit log."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext

from centre import languages, phones
from centre.clock import now, to_storage
from centre.extensions import db
from centre.refusals import Refused
from staff import audit, passwords
from staff.models import ROLES, StaffSession, StaffUser


class AccountRefused(Refused):
    """The account cannot be created or changed as asked; the message says why."""


def normalise_email(email: str) -> str:
    """Return the email as accounts are keyed: trimmed and lower case."""
    return email.strip().lower()[:254]


def by_email(email: str) -> StaffUser | None:
    """Return the account with this email, if any."""
    return db.session.scalar(sa.select(StaffUser).where(StaffUser.email == normalise_email(email)))


def parse_languages(raw: str | list[str]) -> str:
    """Return language codes as stored ("fr ar"), refusing unknown ones."""
    items = raw if isinstance(raw, list) else raw.replace(",", " ").split()
    codes = []
    for code in items:
        code = code.strip().lower()
        if code not in languages.BY_CODE:
            raise AccountRefused(gettext("Unknown language: %(code)s.", code=code[:10]))
        if code not in codes:
            codes.append(code)
    return " ".join(codes)


def _checked(
    email: str, role: str, language_codes: str, locale: str | None, phone: str | None
) -> dict[str, Any]:
    if "@" not in email or len(email) < 3 or " " in email:
        raise AccountRefused(gettext("Enter a valid email address."))
    if role not in ROLES:
        raise AccountRefused(gettext("Unknown role: %(role)s.", role=role[:20]))
    if role == "agent" and not language_codes:
        raise AccountRefused(gettext("An agent needs at least one language."))
    if locale and locale not in languages.BY_CODE:
        raise AccountRefused(gettext("Unknown language: %(code)s.", code=locale[:10]))
    number = None
    if phone:
        number = phones.normalise(phone)
        if number is None:
            raise AccountRefused(
                gettext("Enter numbers in international format, e.g. +33612345678.")
            )
    return {
        "email": email,
        "role": role,
        "languages": language_codes,
        "locale": locale or None,
        "phone": number,
    }


def create(
    email: str,
    password: str,
    role: str,
    language_codes: str | list[str],
    locale: str | None = None,
    phone: str | None = None,
    actor: StaffUser | None = None,
    actor_email: str | None = None,
) -> StaffUser:
    """Create an account after checking the password rules; refuse a taken email."""
    email = normalise_email(email)
    fields = _checked(email, role, parse_languages(language_codes), locale, phone)
    if by_email(email) is not None:
        raise AccountRefused(gettext("An account with this email already exists."))
    refused = passwords.problems(password, email)
    if refused:
        raise AccountRefused(" ".join(refused))
    moment = to_storage(now())
    user = StaffUser(
        **fields,
        password_hash=passwords.hash_password(password),
        active=True,
        available=False,
        created_at=moment,
        updated_at=moment,
        password_changed_at=moment,
    )
    db.session.add(user)
    db.session.flush()
    audit.record("user.create", "user", user.id, None, user.snapshot(), actor, actor_email)
    return user


def update(
    user: StaffUser,
    role: str,
    language_codes: str | list[str],
    locale: str | None,
    phone: str | None,
    active: bool,
    actor: StaffUser | None = None,
) -> None:
    """Change an account's role, languages, language, phone or state; disabling logs it out."""
    if actor is not None and actor.id == user.id and (not active or role != user.role):
        raise AccountRefused(gettext("You cannot disable your own account or change your role."))
    before = user.snapshot()
    fields = _checked(user.email, role, parse_languages(language_codes), locale, phone)
    for key, value in fields.items():
        setattr(user, key, value)
    user.active = active
    if not active:
        end_sessions(user)
    user.updated_at = to_storage(now())
    old, new = audit.changes(before, user.snapshot())
    if new:
        action = "user.role" if "role" in new else "user.update"
        audit.record(action, "user", user.id, old, new, actor)
    if not active or "role" in new:
        # Being available is the person's own word that they take calls in the job they had:
        # a disabled account, or one given another role (an agent made an editor), must not be
        # counted on the floor, nor come back counted, until they say so again.
        set_availability(user, False, by=actor)


def update_preferences(user: StaffUser, locale: str | None, phone: str | None) -> None:
    """Let a staff member set their own interface language and phone."""
    update(user, user.role, user.languages, locale, phone, user.active, actor=user)


def set_password(
    user: StaffUser, password: str, actor: StaffUser | None = None, actor_email: str | None = None
) -> None:
    """Give the account a new password (rules checked); its other sessions end."""
    refused = passwords.problems(password, user.email)
    if refused:
        raise AccountRefused(" ".join(refused))
    user.password_hash = passwords.hash_password(password)
    user.password_changed_at = user.updated_at = to_storage(now())
    end_sessions(user)
    audit.record("user.password", "user", user.id, None, None, actor, actor_email)


def end_sessions(user: StaffUser) -> None:
    """End every open session of the account at once."""
    db.session.execute(
        sa.update(StaffSession)
        .where(StaffSession.user_id == user.id, StaffSession.ended_at.is_(None))
        .values(ended_at=to_storage(now())),
        execution_options={"synchronize_session": False},
    )


def set_availability(user: StaffUser, available: bool, by: StaffUser | None = None) -> None:
    """Mark the agent ready (or not) to take queued calls: their own choice, or `by`'s."""
    if user.available != available:
        audit.record(
            "user.available",
            "user",
            user.id,
            {"available": user.available},
            {"available": available},
            by or user,
        )
        user.available = available


def all_accounts() -> list[StaffUser]:
    """Return every account, by email."""
    return list(db.session.scalars(sa.select(StaffUser).order_by(StaffUser.email)))


def active_with_roles(roles: tuple[str, ...]) -> list[StaffUser]:
    """Return the active accounts with one of `roles`, by email."""
    query = sa.select(StaffUser).where(StaffUser.active.is_(True), StaffUser.role.in_(roles))
    return list(db.session.scalars(query.order_by(StaffUser.email)))
