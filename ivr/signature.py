"""Every Twilio webhook must carry a valid X-Twilio-Signature for the URL Twilio called."""

from __future__ import annotations

import hmac
import logging
import re
from urllib.parse import quote

from flask import Request, abort
from twilio.request_validator import RequestValidator
from werkzeug.exceptions import HTTPException

from centre.context import this_app, this_g, this_request

log = logging.getLogger(__name__)
# An absolute-form request target ("POST https://host/path HTTP/1.1") starts with a scheme.
_ABSOLUTE_FORM = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*")
# Characters a path may carry unencoded (RFC 3986 pchar and "/"): quote() must leave them alone.
_PATH_SAFE = "/:@!$&'()*+,;="
# Twilio posts fewer than 50 short fields (a few KiB). Anything far beyond is not Twilio and is
# refused before it costs parsing: a 1 MiB body of 110,000 fields took seconds of a worker.
WEBHOOK_MAX_BYTES = 64 * 1024
WEBHOOK_MAX_FIELDS = 200


def _text(wsgi: str) -> str:
    """Return a WSGI string (bytes decoded as Latin-1) as the UTF-8 text Twilio signed."""
    try:
        return wsgi.encode("latin-1").decode("utf-8", "replace")
    except UnicodeEncodeError:  # the server already decoded it as text
        return wsgi


def _path_and_query(request: Request) -> str:
    """Return the request target exactly as the client sent it, byte for byte."""
    environ = request.environ
    # gunicorn sets RAW_URI, uWSGI and Werkzeug REQUEST_URI: the request line as sent.
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI") or ""
    if raw and not raw.startswith("/"):
        raw = _ABSOLUTE_FORM.sub("", raw, count=1)
        if raw and not raw.startswith("/"):
            raw = ""
    if raw:
        return _text(raw)
    # A server that keeps no raw target: rebuild it (the path is decoded, the query is not).
    target = quote(_text(environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")), _PATH_SAFE)
    if environ.get("QUERY_STRING"):
        target += "?" + _text(environ["QUERY_STRING"])
    return target


def public_url(request: Request | None = None) -> str:
    """Return the URL Twilio called: scheme and host as the trusted proxies reported them."""
    request = request or this_request()
    return f"{request.scheme}://{request.host}{_path_and_query(request)}"


def refuse_oversized_body(request: Request | None = None) -> None:
    """Refuse (413) a body Twilio never sends, by its length and field count, without parsing it."""
    request = request or this_request()
    request.max_content_length = WEBHOOK_MAX_BYTES  # also caps a body sent without a length
    request.max_form_memory_size = WEBHOOK_MAX_BYTES
    request.max_form_parts = WEBHOOK_MAX_FIELDS  # multipart; Werkzeug counts no urlencoded fields
    if (request.content_length or 0) > WEBHOOK_MAX_BYTES:
        abort(413)
    # Read (at most the cap) but not parsed: the form is parsed from this copy later.
    urlencoded = request.mimetype == "application/x-www-form-urlencoded"
    if urlencoded and request.get_data(cache=True).count(b"&") >= WEBHOOK_MAX_FIELDS:
        abort(413)


def signed() -> bool:
    """Tell whether this request's signature was checked and found good (its form is readable)."""
    return bool(this_g().get("twilio_signed"))


def require_twilio_signature() -> None:
    """Refuse (403) any request whose signature does not match; nothing else runs before this.

    The body's size and field count are checked first (413), so that no hostile body is parsed.
    """
    request = this_request()
    refuse_oversized_body(request)
    signature = request.headers.get("X-Twilio-Signature", "")
    token = this_app().config.get("TWILIO_AUTH_TOKEN") or ""
    if not signature or not token:
        abort(403)  # no header, or nothing to check it against: never a skipped check
    try:
        params = request.form if request.method == "POST" else {}
        validator = RequestValidator(token)
        url = public_url(request)
        # The URL as called is what Twilio signed: one HMAC. Only when that fails, let the
        # library also try the URL with and without its port, as it does for every request.
        expected = validator.compute_signature(url, params)
        valid = hmac.compare_digest(expected.encode(), signature.encode()) or validator.validate(
            url, params, signature
        )
    except HTTPException:
        raise  # e.g. a body over MAX_CONTENT_LENGTH: answered as such
    except Exception:
        log.exception("the signature of %s could not be checked", request.path)
        valid = False  # a check that cannot run refuses
    if not valid:
        abort(403)
    this_g().twilio_signed = True
