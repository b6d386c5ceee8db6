"""Security headers on every response, and the error pages staff see."""

from __future__ import annotations

from flask import Flask, Response, current_app, g, request

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
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    if response.mimetype == "text/html":
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Frame-Options", "DENY")
    if response.mimetype == "text/html" or g.get("staff") is not None:
        # Staff pages carry callers' data: never kept by the browser or a proxy.
        headers["Cache-Control"] = "no-store"
    # HSTS means something only over HTTPS (RFC 6797 §7.2: never sent over plain HTTP); a
    # developer's machine never gets it, lest the browser pin localhost to HTTPS.
    if request.is_secure and current_app.config["APP_ENV"] != "development":
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response


def init_app(app: Flask) -> None:
    """Add the headers to every response of the app."""
    app.after_request(add_security_headers)
