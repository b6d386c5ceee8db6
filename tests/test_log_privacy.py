"""Logs never show a caller's number, a reference, a signature or the token in clear.

The whole suite runs under a scan (tests/conftest.py, `logs_hold_no_personal_data`) of every
record captured; these tests prove the masking holds where numbers really get in (a library's
message, an exception's traceback, a server's request line) and that the scan finds a leak.
"""

from __future__ import annotations

import io
import logging
import urllib.request

import pytest
from conftest import TOKEN
from helpers import forms_of_number, unmasked, walk_to_main_menu

from centre import phones
from ivr import flow

NUMBER = "+33612345678"


def test_a_number_logged_by_any_library_is_masked_in_every_captured_record(app, caplog):
    logging.getLogger("some.library").warning("texting %s at %s", NUMBER, "06 12 34 56 78")
    record = caplog.records[-1]
    assert record.getMessage() == "texting +*********78 at ********78"
    assert record.args is None  # the clear number is not kept aside either
    assert not unmasked([caplog.text], forms_of_number(NUMBER))


def test_a_logger_with_its_own_handler_masks_numbers_too(app):
    # gunicorn's access log, for one: its own handler, no propagation to the app's.
    stream = io.StringIO()
    access = logging.getLogger("tests.access")
    handler = logging.StreamHandler(stream)
    access.addHandler(handler)
    access.propagate = False
    try:
        access.warning('"%s" %s', "POST /ivr/voice?n=%2B33612345678 HTTP/1.1", 200)
    finally:
        access.removeHandler(handler)
        access.propagate = True
    assert stream.getvalue() == '"POST /ivr/voice?n=%2B*********78 HTTP/1.1" 200\n'


def test_a_traceback_that_carries_the_callers_number_is_masked(
    app, call, open_hours, caplog, monkeypatch
):
    phone = call(caller=NUMBER)
    walk_to_main_menu(phone, "fr")

    def failing(self, step, reply):  # type: ignore[no-untyped-def]
        raise LookupError(f"no route for {NUMBER}, also known as 0612345678")

    monkeypatch.setattr(flow.Menu, "handle", failing)
    assert phone.press("3").dial  # the apology
    failure = next(r for r in caplog.records if r.exc_info)
    assert "LookupError: no route for +*********78, also known as ********78" in caplog.text
    assert NUMBER not in (failure.exc_text or "")
    assert not unmasked([caplog.text], forms_of_number(NUMBER))


def test_the_servers_request_lines_mask_numbers_in_urls(live_server, caplog):
    caplog.set_level(logging.INFO, logger="werkzeug")
    for query in ("n=%2B33612345678", "n=0612345678", "n=+33612345678"):
        with urllib.request.urlopen(f"{live_server}/try/?{query}", timeout=10) as response:  # noqa: S310
            assert response.status == 200
    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert len(lines) == 3 and all("GET /try/?n=" in line for line in lines)
    assert not unmasked(lines, forms_of_number(NUMBER))


def test_the_scan_finds_a_number_a_signature_or_the_token_that_escaped_masking():
    forbidden = forms_of_number(NUMBER) | {"c2lnbmF0dXJlLXZhbHVlLTEyMzQ1Njc4OTA=", TOKEN}
    for leaked in (
        "+33612345678",
        "+33 6 12 34 56 78",
        "06 12 34 56 78",
        "0612345678",
        "%2B33612345678",
        "0033612345678",
        "+4915112345678",
        "sig c2lnbmF0dXJlLXZhbHVlLTEyMzQ1Njc4OTA=",
        f"token {TOKEN}",
    ):
        # A record made without the factory, as a library bypassing `logging` might.
        record = logging.LogRecord("x", logging.INFO, __file__, 1, "seen %s", (leaked,), None)
        assert unmasked([logging.Formatter().format(record)], forbidden), leaked
    assert not unmasked(["call 12 from +33*******78 to FR", "SMS recorded"], forbidden)


@pytest.mark.parametrize(
    "number", ["+33612345678", "+442071234567", "+12025550123", "anonymous", "", None, "+3361"]
)
def test_a_number_described_once_is_masked_hashed_and_zoned_as_each_function_does(number):
    described = phones.describe(number, "key")
    assert described.masked == phones.mask(number)
    assert described.hash == phones.keyed_hash(number, "key")
    assert described.zones == phones.time_zones(number)
