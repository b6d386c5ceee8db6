"""Hostile bodies on the webhooks are refused before anything parses them, cheaply, never a 500.

Twilio posts fewer than 50 short fields. A body far larger, or with thousands of fields, is
not Twilio: it is refused (413) on its length or its count of separators, before the signature
check reads the form, and the error handler does not read it either.
"""

from __future__ import annotations

import io
import secrets
import time
from collections.abc import Callable
from urllib.parse import urlencode

import pytest
from conftest import TOKEN
from helpers import row_counts, walk_to_main_menu
from twilio.request_validator import RequestValidator

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

    def refuse() -> None:
        response = client.post(
            route, data=body, content_type=content_type, headers={"X-Twilio-Signature": "forged"}
        )
        assert response.status_code == 413, response.get_data(as_text=True)[:300]

    # A real call's step, measured in the same test: the refusal must cost less than one. Each
    # is timed five times and its fastest kept, so that a busy machine pausing the process
    # once (CI runs two suites side by side) does not decide the comparison.
    a_real_step = fastest(lambda: phone.press("*"))
    before = row_counts(app)
    refusal = fastest(refuse)
    assert row_counts(app) == before
    assert refusal < a_real_step, (refusal, a_real_step)


def fastest(action: Callable[[], object], times: int = 5) -> float:
    """Return the shortest of `times` timings of `action`, in seconds."""
    timings = []
    for _ in range(times):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return min(timings)


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


# --- the caps themselves: Twilio's largest bodies pass, one field or one byte more does not ------


def _signed_voice(fields: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    """Return a urlencoded voice webhook body of `fields` and the header Twilio would sign it with."""
    signature = RequestValidator(TOKEN).compute_signature("http://localhost/ivr/voice", fields)
    return urlencode(fields).encode(), {"X-Twilio-Signature": signature}


def _voice_fields(count: int) -> dict[str, str]:
    """Return a new call's fields, padded with short extra fields to `count` in all."""
    fields = {
        "CallSid": "CA" + secrets.token_hex(16),
        "From": "+33612345678",
        "To": "+33805000000",
        "CallStatus": "ringing",
    }
    fields.update({f"Extra{i:03d}": "x" for i in range(count - len(fields))})
    return fields


@pytest.mark.parametrize(("count", "status"), [(200, 200), (201, 413)])
def test_a_signed_call_of_two_hundred_fields_is_answered_and_one_more_is_refused(
    app, open_hours, count, status
):
    body, headers = _signed_voice(_voice_fields(count))
    assert body.count(b"&") == count - 1
    response = app.test_client().post(
        "/ivr/voice", data=body, content_type=URLENCODED, headers=headers
    )
    assert response.status_code == status


@pytest.mark.parametrize(("extra", "status"), [(0, 200), (1, 413)])
def test_a_signed_call_of_sixty_four_kib_is_answered_and_one_byte_more_is_refused(
    app, open_hours, extra, status
):
    fields = _voice_fields(4)
    size = len(_signed_voice(fields)[0]) + len("&Padding=")
    fields["Padding"] = "p" * (WEBHOOK_MAX_BYTES - size + extra)
    body, headers = _signed_voice(fields)
    assert len(body) == WEBHOOK_MAX_BYTES + extra
    response = app.test_client().post(
        "/ivr/voice", data=body, content_type=URLENCODED, headers=headers
    )
    assert response.status_code == status


@pytest.mark.parametrize(("parts", "status"), [(200, 403), (201, 413)])
def test_a_multipart_body_of_more_than_two_hundred_parts_is_refused_before_its_signature(
    app, open_hours, parts, status
):
    body, content_type = _multipart(parts)
    assert len(body) < WEBHOOK_MAX_BYTES
    response = app.test_client().post(
        "/ivr/voice", data=body, content_type=content_type, headers={"X-Twilio-Signature": "forged"}
    )
    assert response.status_code == status


def test_a_signed_body_sent_without_its_length_is_read_only_up_to_sixty_four_kib(app, open_hours):
    # A chunked body (no Content-Length) is read up to the cap and no further: the fields past
    # it are never read, so even a correctly signed call of 512 KiB is not answered.
    fields = _voice_fields(4)
    fields["Padding"] = "p" * (512 * 1024)  # under the app-wide cap of 1 MiB
    body, headers = _signed_voice(fields)
    environ = {"wsgi.input": io.BytesIO(body), "wsgi.input_terminated": True, "CONTENT_LENGTH": ""}
    before = row_counts(app)
    response = app.test_client().post(
        "/ivr/voice", content_type=URLENCODED, headers=headers, environ_overrides=environ
    )
    assert response.status_code == 403
    assert row_counts(app) == before
