"""Webhooks refuse what Twilio did not sign, and keep the call alive when something fails."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest
from conftest import TOKEN
from helpers import row_counts, walk_to_main_menu

from centre import languages
from ivr import flow
from ivr.driver import FlaskTransport, PhoneCall, parse, sign

WEBHOOKS = [
    "/ivr/voice",
    "/ivr/step?s=1&l=fr",
    "/ivr/status",
    "/ivr/recording?t=1",
    "/ivr/fallback",
    "/ivr/queue/wait?l=fr",
    "/ivr/queue/choice?l=fr",
]


@pytest.mark.parametrize("path", WEBHOOKS)
def test_an_unsigned_or_badly_signed_webhook_is_refused_and_writes_nothing(
    app, call, open_hours, path
):
    phone = call()
    walk_to_main_menu(phone, "fr")
    before = row_counts(app)
    data = phone.params(Digits="3", CallStatus="completed", RecordingSid="RE1")
    assert phone.post(path, data, signature="")[0] == 403
    assert phone.post(path, data, signature="bm90IGEgc2lnbmF0dXJl")[0] == 403
    wrong_token = sign("another-token", "http://localhost" + path, data)
    assert phone.post(path, data, signature=wrong_token)[0] == 403
    tampered = dict(data, Digits="0")
    assert (
        phone.post(path, tampered, signature=sign(TOKEN, "http://localhost" + path, data))[0] == 403
    )
    assert row_counts(app) == before


def test_a_signature_for_another_url_is_refused(app, call, open_hours):
    phone = call()
    data = phone.params()
    signed_for_other = sign(TOKEN, "http://localhost/ivr/voice?x=1", data)
    assert phone.post("/ivr/voice", data, signature=signed_for_other)[0] == 403


def test_behind_a_trusted_proxy_the_public_https_url_is_what_is_checked(make_app, app, open_hours):
    proxied = make_app(TRUSTED_PROXIES=1)
    client = proxied.test_client()
    phone = PhoneCall(FlaskTransport(proxied), TOKEN)
    data = phone.params()
    public = "https://calls.example.org/ivr/voice"
    headers = {
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "calls.example.org",
        "X-Twilio-Signature": sign(TOKEN, public, data),
    }
    assert client.post("/ivr/voice", data=data, headers=headers).status_code == 200
    # The same request without the proxy's headers was signed for another URL.
    headers = {"X-Twilio-Signature": sign(TOKEN, public, data)}
    assert client.post("/ivr/voice", data=data, headers=headers).status_code == 403


def _assert_apology(turn_xml: str, code: str) -> ElementTree.Element:
    root = ElementTree.fromstring(turn_xml)  # noqa: S314
    assert root.tag == "Response"
    says = root.findall("Say")
    assert says and all(s.get("voice") == languages.get(code).voice for s in says)
    return root


def test_with_the_database_down_the_caller_is_apologised_to_and_put_through(make_app, open_hours):
    down = make_app(SQLALCHEMY_DATABASE_URI="postgresql+psycopg://postgres@127.0.0.1:1/none")
    phone = PhoneCall(FlaskTransport(down), TOKEN, to="+34900000000")
    status, content_type, body = phone.post("/ivr/voice", phone.params())
    assert (status, content_type.split(";")[0]) == (200, "text/xml")
    root = _assert_apology(body, "es")  # the Spanish number: Spanish
    assert root.find("Dial").text == "+212522000000"
    status, _, body = phone.post("/ivr/step?s=4&l=de", phone.params(Digits="3"))
    assert status == 200
    _assert_apology(body, "de")  # the language the call had reached


def test_a_failing_step_apologises_in_the_callers_language(app, call, open_hours, monkeypatch):
    phone = call()
    walk_to_main_menu(phone, "it")

    def broken(self, step, reply):  # type: ignore[no-untyped-def]
        raise RuntimeError("injected")

    monkeypatch.setattr(flow.Menu, "handle", broken)
    turn = phone.press("3")
    assert turn.dial == "+212522000000"
    assert all(s.voice == languages.get("it").voice for s in turn.said)


def test_without_a_fallback_number_the_apology_asks_to_call_again(make_app, open_hours):
    down = make_app(
        SQLALCHEMY_DATABASE_URI="postgresql+psycopg://postgres@127.0.0.1:1/none",
        FALLBACK_AGENT_NUMBER="",
    )
    phone = PhoneCall(FlaskTransport(down), TOKEN)
    _, _, body = phone.post("/ivr/voice", phone.params())
    turn = parse("/ivr/voice", body)
    assert turn.hangup and turn.dial is None and turn.said


def test_twilios_fallback_url_apologises_in_the_language_of_the_failed_step(
    call, open_hours, caplog
):
    phone = call()
    data = phone.params(ErrorCode="11200", ErrorUrl="https://calls.example.org/ivr/step?s=3&l=nl")
    status, _, body = phone.post("/ivr/fallback", data)
    assert status == 200
    _assert_apology(body, "nl")
    assert "11200" in caplog.text


@pytest.mark.parametrize(
    "fields",
    [
        {"Digits": "*#*#" * 300},
        {"Digits": "abc"},
        {"SpeechResult": "", "Confidence": "x"},
        {"SpeechResult": "ش" * 1000, "Confidence": "0.99"},
        {"From": ""},
        {"To": "not-a-number"},
    ],
)
def test_odd_input_gets_a_spoken_answer(call, open_hours, fields):
    phone = call()
    walk_to_main_menu(phone, "en")
    turn = phone.request(phone.turn.gather["action"], **fields)
    assert turn.said and (turn.gather is not None or turn.enqueue is not None)


def test_an_oversized_request_is_refused_unread_writes_nothing_and_the_call_goes_on(
    app, call, open_hours
):
    # Twilio never posts 2 MB: even signed, such a body is refused (413) before it is parsed.
    phone = call()
    menu = walk_to_main_menu(phone, "en")
    before = row_counts(app)
    data = phone.params(SpeechResult="x" * 2_000_000, Confidence="0.9")
    status, _, _ = phone.post(phone.turn.gather["action"], data)
    assert status == 413
    assert row_counts(app) == before
    assert phone.press("*").text == menu.text
