"""Hostile bodies on the webhooks are refused before anything parses them, cheaply, never a 500.

Twilio posts fewer than 50 short fields. A body far larger, or with thousands of fields, is
not Twilio: it is refused (413) on its length or its count of separators, before the signature
check reads the form, and the error handler does not read it either.
"""

from __future__ import annotations

import time

import pytest
from helpers import row_counts, walk_to_main_menu

WEBHOOK_MAX_BYTES, WEBHOOK_MAX_FIELDS = 64 * 1024, 200  # the caps in ivr/signature.py

URLENCODED = "application/x-www-form-urlencoded"


def _fields(count: int, size: int) -> bytes:
    """Return an urlencoded body of `count` fields, padded to about `size` bytes."""
    value = "v" * max(1, size // count - 8)
    return "&".join(f"f{i}={value}" for i in range(count)).encode()


def _multipart(parts: int) -> tuple[bytes, str]:
    boundary = "hostileboundary"
    chunks = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="f{i}"\r\n\r\nv\r\n'
        for i in range(parts)
    ]
    return (
        "".join(chunks) + f"--{boundary}--\r\n"
    ).encode(), f"multipart/form-data; boundary={boundary}"


HOSTILE = {
    # 110,000 fields in just under Werkzeug's old 1 MiB cap: seconds of parsing, then a 403.
    "110,000 fields, 1 MiB": (_fields(110_000, 1024 * 1024 - 1024), URLENCODED),
    # Over the old cap: answered 500, the error handler reading the form a second time.
    "over 1 MiB": (_fields(20, 1024 * 1024 + 4096), URLENCODED),
    # Small, but many more fields than Twilio ever sends.
    "5,000 fields in 20 KiB": (_fields(5_000, 20_000), URLENCODED),
    "1,500 multipart parts": _multipart(1_500),
}


@pytest.mark.parametrize("route", ["/ivr/voice", "/ivr/step?s=2", "/ivr/desk/connect?t=1&a=1"])
@pytest.mark.parametrize("which", HOSTILE)
def test_a_hostile_body_is_refused_unread_and_writes_nothing(app, call, open_hours, route, which):
    body, content_type = HOSTILE[which]
    phone = call()
    walk_to_main_menu(phone, "fr")  # a call in progress, so a step has something to move
    client = app.test_client()
    # A real call's step, measured in the same test: the refusal must cost less than one.
    started = time.perf_counter()
    phone.press("*")
    a_real_step = time.perf_counter() - started
    before = row_counts(app)
    started = time.perf_counter()
    response = client.post(
        route, data=body, content_type=content_type, headers={"X-Twilio-Signature": "forged"}
    )
    refusal = time.perf_counter() - started
    assert response.status_code == 413, response.get_data(as_text=True)[:300]
    assert row_counts(app) == before
    assert refusal < a_real_step, (refusal, a_real_step)


def test_a_body_just_within_the_caps_is_still_checked_for_its_signature(app, open_hours):
    body = _fields(WEBHOOK_MAX_FIELDS - 1, WEBHOOK_MAX_BYTES - 1024)
    assert len(body) < WEBHOOK_MAX_BYTES
    response = app.test_client().post(
        "/ivr/voice", data=body, content_type=URLENCODED, headers={"X-Twilio-Signature": "forged"}
    )
    assert response.status_code == 403


def test_a_real_call_carries_on_after_hostile_bodies(app, call, open_hours):
    phone = call()
    walk_to_main_menu(phone, "en")
    client = app.test_client()
    for body, content_type in HOSTILE.values():
        client.post("/ivr/voice", data=body, content_type=content_type)
    turn = phone.press("*")  # repeat the menu
    assert turn.gather is not None and turn.said
