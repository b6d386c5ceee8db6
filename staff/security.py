"""Security headers on every response, and the error pages staff see."""

from __future__ import annotations

from flask import Flask, Response

from centre.context import this_app, this_g, this_request

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "media-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def add_security_headers(response: Response) -> Response:
    """Add CSP, frame denial, nosniff, referrer policy, HSTS, and no-store on personal pages."""
    headers = response.headers
    # What the view set itself wins. One pass over the few headers: Werkzeug's `setdefault`
    # raises and catches a KeyError for each header it adds.
    present = {key.lower() for key, _ in headers}

    def default(name: str, value: str) -> None:
        if name.lower() not in present:
            headers.add(name, value)

    default("X-Content-Type-Options", "nosniff")
    default("Referrer-Policy", "same-origin")
    html = response.mimetype == "text/html"
    if html:
        default("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        default("X-Frame-Options", "DENY")
    if html or this_g().get("staff") is not None:
        # Staff pages carry callers' data: never kept by the browser or a proxy.
        headers["Cache-Control"] = "no-store"
    # HSTS means something only over HTTPS (RFC 6797 §7.2: never sent over plain HTTP); a
    # developer's machine never gets it, lest the browser pin localhost to HTTPS.
    if this_request().is_secure and this_app().config["APP_ENV"] != "development":
        default("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response


def init_app(app: Flask) -> None:
    """Add the headers to every response of the app."""
    app.after_request(add_security_headers)
