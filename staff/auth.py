"""Logging in and out, the session checked on every request, and the role check on every view.

The cookie (signed by Flask) holds only a random token; the `staff_sessions` row holds its
hash. A session is valid while its row is open, the account active, the last request less
than `STAFF_IDLE_MINUTES` ago and the login less than `STAFF_ABSOLUTE_HOURS` ago. Logging
out or disabling the account closes the row, so a cookie copied before then is worthless.

    @bp.get("/audit")
    @role_required("supervisor", "admin")
    def audit_page(): ...
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import wraps
from typing import Any, NoReturn, TypeVar
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import abort, current_app, flash, g, redirect, request, session, url_for
from flask_babel import gettext

from centre import ratelimit
from centre.clock import from_storage, now, to_storage
from centre.context import this_g
from centre.extensions import db
from centre.locale import STAFF_LOCALE_KEY
from centre.refusals import Refused
from centre.sessions import cookieless
from centre.transactions import keep_when_refused
from staff import accounts, audit, kept, passwords
from staff.models import ROLES, StaffSession, StaffUser

SESSION_KEY = "staff_token"
# Set in the (signed) cookie when a session lapses: whose form to keep if one is posted next.
LAPSED_KEY = "staff_lapsed"
POLL_HEADER = "X-Desk-Poll"  # sent by pages that ask the server on their own (desk.js)
TOUCH_EVERY = timedelta(seconds=60)  # write last_seen_at at most once a minute
THROTTLE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5  # from one address
MAX_FAILURES_PER_ADDRESS = 20  # whatever the accounts tried

View = TypeVar("View", bound=Callable[..., Any])


class LoginRefused(Refused):
    """The login did not succeed; `message` is what the person is told."""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def current_staff() -> StaffUser | None:
    """Return the logged-in staff member of this request, or None."""
    return g.get("staff")


def load_session() -> None:
    """Find the request's staff member from the cookie; end the session if it has lapsed."""
    if cookieless():
        request_globals = this_g()
        request_globals.staff = request_globals.staff_session = None
        return  # a webhook: Twilio, never a member of staff
    g.staff = g.staff_session = None
    token = session.get(SESSION_KEY)
    if not token or (request.endpoint or "").endswith(".static"):
        return
    record = db.session.get(StaffSession, _digest(str(token)))
    moment = now()
    idle = timedelta(minutes=current_app.config["STAFF_IDLE_MINUTES"])
    absolute = timedelta(hours=current_app.config["STAFF_ABSOLUTE_HOURS"])
    valid = (
        record is not None
        and record.ended_at is None
        and record.user.active
        and moment - from_storage(record.last_seen_at) <= idle
        and moment - from_storage(record.created_at) <= absolute
    )
    if record is None or not valid:
        session.pop(SESSION_KEY, None)
        if record is not None and record.ended_at is None:
            record.ended_at = to_storage(moment)
            release_when_gone(record.user, record.id)
            if record.user.active:  # lapsed, not logged out nor disabled
                session[LAPSED_KEY] = record.user_id
            # Committed now, not with the page: a session's bookkeeping stands whatever the
            # page then does (a refused form rolls its own work back).
            db.session.commit()
        return
    # A page polling in the background is not the person at work: it keeps no session open.
    polled = request.headers.get(POLL_HEADER) == "1"
    if moment - from_storage(record.last_seen_at) >= TOUCH_EVERY and not polled:
        record.last_seen_at = to_storage(moment)
        db.session.commit()
    g.staff, g.staff_session = record.user, record
    g.staff_locale = record.user.locale
    if session.get(STAFF_LOCALE_KEY) != record.user.locale:
        session[STAFF_LOCALE_KEY] = record.user.locale


def _live(moment: datetime) -> sa.ColumnElement[bool]:
    """Return, as SQL, the sessions still valid at `moment` (open, not idle, not too old)."""
    idle = timedelta(minutes=current_app.config["STAFF_IDLE_MINUTES"])
    absolute = timedelta(hours=current_app.config["STAFF_ABSOLUTE_HOURS"])
    return sa.and_(
        StaffSession.ended_at.is_(None),
        StaffSession.last_seen_at >= to_storage(moment - idle),
        StaffSession.created_at >= to_storage(moment - absolute),
    )


def release_when_gone(user: StaffUser, ending: str) -> None:
    """End the agent's availability for calls when the session `ending` was their last one."""
    if not user.available:
        return
    others = sa.select(StaffSession.id).where(
        StaffSession.user_id == user.id, StaffSession.id != ending, _live(now())
    )
    if db.session.scalar(others.limit(1)) is None:
        accounts.set_availability(user, False)


def release_the_departed() -> int:
    """End the availability of every agent with no valid session left; return how many."""
    live = sa.select(StaffSession.user_id).where(_live(now()))
    gone = db.session.scalars(
        sa.select(StaffUser).where(StaffUser.available.is_(True), StaffUser.id.not_in(live))
    ).all()
    for user in gone:
        accounts.set_availability(user, False)
    return len(gone)


def _address() -> str:
    return (request.remote_addr or "unknown")[:45]


def authenticate(email: str, password: str) -> StaffUser:
    """Return the account if the password is right; throttle by address and account, audit all.

    Each attempt is counted before the password is checked, in one atomic step per limit, so
    simultaneous attempts cannot slip past a limit: first against the address (any account),
    then against the account from this address. A stranger's failures thus lock the account
    only from the stranger's address; its owner still gets in from theirs.
    """
    email = accounts.normalise_email(email)
    address = _address()
    address_key, account_key = f"login:address:{address}", f"login:account:{address}:{email}"
    refused = gettext("Too many failed attempts. Wait a few minutes and try again.")
    if ratelimit.hit(address_key, THROTTLE_WINDOW) > MAX_FAILURES_PER_ADDRESS:
        audit.tally("login.throttled")  # about the address: the email typed is the stranger's
        raise LoginRefused(refused)
    if ratelimit.hit(account_key, THROTTLE_WINDOW) > MAX_FAILURES_PER_ACCOUNT:
        audit.tally("login.throttled", actor_email=email)
        raise LoginRefused(refused)
    user = accounts.by_email(email)
    matches = passwords.verify_password(
        user.password_hash if user else None, password[: passwords.TYPED_MAX_LENGTH]
    )
    if user is None or not matches or not user.active:
        audit.tally("login.failed", "user", user.id if user else None, actor_email=email)
        raise LoginRefused(gettext("Wrong email or password."))
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    ratelimit.release(address_key)  # a login that works is not a failure of the address
    ratelimit.clear(account_key)
    return user


def begin_session(user: StaffUser) -> None:
    """Start a fresh session for `user`: a new token, nothing kept from the cookie before."""
    # Logging in again over a session (open: load_session checked it): its cookie must not
    # stay valid.
    previous = g.get("staff_session")
    if previous is not None:
        previous.ended_at = to_storage(now())
    session.clear()
    token = secrets.token_urlsafe(32)
    moment = to_storage(now())
    db.session.add(
        StaffSession(
            id=_digest(token),
            user_id=user.id,
            created_at=moment,
            last_seen_at=moment,
            ended_at=None,
            address=_address(),
        )
    )
    session[SESSION_KEY] = token
    session.permanent = True
    g.staff = user
    audit.record("login.success", "user", user.id, actor=user)


def end_session() -> None:
    """Log out: close the session's row, so the cookie is refused from now on."""
    record = g.get("staff_session")  # open and valid: load_session checked it
    if record is not None:
        record.ended_at = to_storage(now())
        audit.record("logout", "user", record.user_id, actor=record.user)
        release_when_gone(record.user, record.id)
    session.clear()
    g.staff = g.staff_session = None


# Browsers drop tabs and newlines anywhere in a URL, trim spaces and controls at its ends and
# read a backslash as a slash: "/\t/evil.example" becomes "//evil.example", another site.
# A target holding any of them, or any other control, is refused rather than cleaned.
_UNSAFE_IN_TARGET = re.compile(r"[\x00-\x1f\x7f\\]")


def safe_next(target: str | None) -> str | None:
    """Return `target` if a browser would read it as a path on this site, else None."""
    if not target or _UNSAFE_IN_TARGET.search(target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def role_required(*roles: str) -> Callable[[View], View]:
    """Let only staff with one of `roles` through; others are sent to log in, or refused (403)."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {unknown}")

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user = current_staff()
            if user is None:
                if request.method == "POST" and session.get(LAPSED_KEY):
                    return _keep_and_log_in_again(int(session[LAPSED_KEY]))
                return redirect(url_for("staff.login", next=request.full_path.rstrip("?")))
            if user.role not in roles:
                refuse(request.path)
            return view(*args, **kwargs)

        wrapper.roles = roles  # type: ignore[attr-defined]  # the roles, read off the view
        return wrapper  # type: ignore[return-value]  # wraps keeps the view's signature

    return decorate


def page_of_form() -> str:
    """Return the page the posted form was on (the Referer, same site only), else its action."""
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc == request.host and safe_next(referrer.path):
        return referrer.path + (f"?{referrer.query}" if referrer.query else "")
    return request.path


def _keep_and_log_in_again(user_id: int) -> Any:
    """Keep the form posted after the session lapsed; send its author to log in, then back."""
    page = page_of_form()
    kept.keep(user_id, request.path, page, request.form)
    flash(gettext("Your session expired. Log in again: what you typed is kept."))
    return redirect(url_for("staff.login", next=page))


def login_required(view: View) -> View:
    """Let any logged-in staff member through."""
    return role_required(*ROLES)(view)


def refuse(
    what: str, target_type: str | None = None, target_id: int | None = None, code: int = 403
) -> NoReturn:
    """Record the refusal in the audit log and answer 403 (or 404: "there is no such thing")."""
    audit.record("access.refused", target_type, target_id, after={"path": what[:200]})
    keep_when_refused()
    abort(code)


_HOMES: dict[str, str] = {}


def register_home(role: str, endpoint: str) -> None:
    """Let a domain name the page a role lands on after logging in."""
    _HOMES[role] = endpoint


def home_url(user: StaffUser) -> str:
    """Return where `user` lands after logging in."""
    return url_for(_HOMES.get(user.role, "staff.account"))
