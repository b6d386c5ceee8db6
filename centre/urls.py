"""Absolute URLs handed to Twilio, which calls them back later from outside."""

from __future__ import annotations

from typing import Any

from flask import current_app, url_for


def callback_url(endpoint: str, **values: Any) -> str:
    """Return the absolute URL of `endpoint` for Twilio to call: on PUBLIC_URL when it is set.

    A request's Host header is the client's to choose; in production (where PUBLIC_URL is
    required) the URL Twilio fetches, with what it then plays or dials, never follows it.
    """
    public = current_app.config.get("PUBLIC_URL")
    if public:
        return public + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)
