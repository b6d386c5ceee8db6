"""The request, the app and `g` themselves, for code that reads them many times a request.

Flask's `request`, `current_app` and `g` are proxies: on Python 3.11 each attribute read through
one first fails as an ordinary attribute (an `AttributeError` made, message formatted, then
dropped) before the proxy looks the object up. A webhook made about fifty such reads, a tenth of
its CPU (bench/README.md, "Issue 19, sixth pass"); the few functions every webhook runs take
the object once and read it directly.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from contextlib import suppress
from typing import Any

from flask import Flask, Request, current_app, g, request


def this_request() -> Request:
    """Return the request being handled (not its proxy); outside a request, raise RuntimeError."""
    real: Request = request._get_current_object()  # type: ignore[attr-defined]  # LocalProxy's
    return real


def this_app() -> Flask:
    """Return the app handling the request (not its proxy); outside one, raise RuntimeError."""
    real: Flask = current_app._get_current_object()  # type: ignore[attr-defined]  # LocalProxy's
    return real


def this_g() -> Any:
    """Return the app context's `g` (not its proxy); outside one, raise RuntimeError."""
    return g._get_current_object()  # `g` is typed as Any


def remember_sync_checks(app: Flask) -> None:
    """Make Flask check once per function, not once per call, whether a hook is a coroutine.

    Flask asks `inspect.iscoroutinefunction` of every hook and view on every request (about
    ten a webhook). The answer never changes for a function; it is kept (weakly: functions
    made per request, such as `after_this_request` ones, are let go with their request).
    """
    checked: weakref.WeakKeyDictionary[Callable[..., Any], Callable[..., Any]]
    checked = weakref.WeakKeyDictionary()
    check = app.ensure_sync

    def ensure_sync(func: Callable[..., Any]) -> Callable[..., Any]:
        try:
            return checked[func]
        except (KeyError, TypeError):  # TypeError: not weakly referenceable
            pass
        runnable = check(func)
        with suppress(TypeError):
            checked[func] = runnable
        return runnable

    app.ensure_sync = ensure_sync  # type: ignore[method-assign]  # Flask: "override this method"
