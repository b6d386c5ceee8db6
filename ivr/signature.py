"""Every Twilio webhook must carry a valid X-Twilio-Signature for the URL Twilio called."""

from __future__ import annotations

from urllib.parse import quote

from flask import abort, current_app, request
from twilio.request_validator import RequestValidator


def public_url() -> str:
    """Return the URL Twilio called: scheme and host as the trusted proxies reported them."""
    environ = request.environ
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw and raw.startswith("/"):
        path_and_query = raw
    else:
        path_and_query = quote(request.script_root + request.path)
        if environ.get("QUERY_STRING"):
            path_and_query += "?" + environ["QUERY_STRING"]
    return f"{request.scheme}://{request.host}{path_and_query}"


def require_twilio_signature() -> None:
    """Refuse (403) any request whose signature does not match; nothing else runs before this."""
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature:
        abort(403)
    validator = RequestValidator(current_app.config["TWILIO_AUTH_TOKEN"])
    params = request.form if request.method == "POST" else {}
    if not validator.validate(public_url(), params, signature):
        abort(403)
