"""The staff's cookie session, and the blueprints whose callers never have one (webhooks).

Flask's signed-cookie session, as Flask keeps it, but with no work for a request that brings
no cookie and leaves its session untouched: Flask built a signing serializer, parsed the
(absent) `Cookie` header and read the cookie settings on every request, about a twentieth of a
webhook's CPU. What a request with a cookie, or one that uses its session, gets is unchanged.
"""

from __future__ import annotations

from flask import Flask, Request, Response
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from itsdangerous import URLSafeTimedSerializer

from centre.context import this_app, this_request

# In `app.extensions`: the names of the blueprints that answer machines (Twilio), never a
# person in a browser: no staff session is looked for and no page language kept.
COOKIELESS = "sessions.cookieless"


class CookieSession(SecureCookieSessionInterface):
    """Flask's signed-cookie session, free for a request with no cookie that does not use it."""

    def __init__(self) -> None:
        """Start with no serializer: one is made per set of keys, on first use."""
        self._serializers: dict[tuple[object, ...], URLSafeTimedSerializer] = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        """Return Flask's serializer for the app's keys, made once per set of keys."""
        if not app.secret_key:
            return None
        keys = (app.secret_key, *(app.config["SECRET_KEY_FALLBACKS"] or ()))
        serializer = self._serializers.get(keys)
        if serializer is None:
            serializer = super().get_signing_serializer(app)
            if serializer is None:  # pragma: no cover - Flask's own check, made above
                return None
            self._serializers = {keys: serializer}  # a new key replaces the old one
        return serializer

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """Return an empty session without parsing cookies when the request sent none."""
        if "HTTP_COOKIE" not in request.environ and app.secret_key:
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        """Do nothing for an empty session nobody read or changed; else as Flask does."""
        if not session and not session.modified and not session.accessed:
            return
        super().save_session(app, session, response)


def without_cookies(app: Flask, *blueprints: str) -> None:
    """Mark `blueprints` as answering machines: no session is looked for in their requests."""
    app.extensions.setdefault(COOKIELESS, set()).update(blueprints)


def cookieless() -> bool:
    """Tell whether this request goes to a blueprint marked by `without_cookies`."""
    return this_request().blueprint in this_app().extensions.get(COOKIELESS, ())


def init_app(app: Flask) -> None:
    """Keep the app's sessions in signed cookies, read only when a request brings one."""
    app.session_interface = CookieSession()
