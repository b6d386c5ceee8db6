"""Staff pages requested in-process, as the desk and dashboard benchmarks time them."""

from __future__ import annotations

import re
import time
from collections.abc import Iterable

from flask import Flask
from flask.testing import FlaskClient

PASSWORD = "Bench-Kumquat-Harbour-42"


def logged_in(app: Flask, email: str) -> FlaskClient:
    """Return a test client logged in as `email` (whose password is PASSWORD)."""
    client = app.test_client()
    page = client.get("/staff/login").get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None, "no CSRF token on the login page"
    response = client.post(
        "/staff/login", data={"csrf_token": found.group(1), "email": email, "password": PASSWORD}
    )
    assert response.status_code == 302, response.status_code
    return client


def page_times(client: FlaskClient, paths: Iterable[str]) -> list[float]:
    """Request each path to its full response; return the milliseconds each took (all 200)."""
    times = []
    for path in paths:
        started = time.perf_counter()
        response = client.get(path)
        response.get_data()
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return times
