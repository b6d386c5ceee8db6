"""The signature check: Twilio's own test vector, proxies, odd URLs and fields, fail closed.

Signatures here are computed by `twilio_signature`, written from Twilio's published
description of the scheme (not by the library the app uses), so the app's check is
held to what Twilio sends, not to itself.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import subprocess
import sys
from collections.abc import Iterable

import pytest
from conftest import ROOT, TOKEN
from helpers import row_counts
from werkzeug.datastructures import MultiDict

from app import create_app
from centre import settings
from centre.extensions import csrf
from centre.settings import ConfigurationError
from ivr.signature import require_twilio_signature

# https://www.twilio.com/docs/usage/security#validating-requests
VECTOR_TOKEN = "12345"
VECTOR_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
VECTOR_FIELDS = {
    "CallSid": "CA1234567890ABCDE",
    "Caller": "+14158675309",
    "Digits": "1234",
    "From": "+14158675309",
    "To": "+18005551212",
}
VECTOR_SIGNATURE = "RSOYDt4T1cUTdK1PDd93/VVr8B8="


def twilio_signature(token: str, url: str, fields: Iterable[tuple[str, str]]) -> str:
    """Sign as Twilio documents it: the URL, then each field's name and value sorted, HMAC-SHA1."""
    data = url + "".join(name + value for name, value in sorted(fields))
    digest = hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def flip_one_byte(text: str, index: int = -1) -> str:
    """Return `text` with one character changed (a different byte on the wire)."""
    position = index % len(text)
    char = text[position]
    other = "b" if char != "b" else "c"
    return text[:position] + other + text[position + 1 :]


# --- Twilio's test vector ------------------------------------------------------------------


def test_the_reference_signer_reproduces_twilios_published_vector():
    assert twilio_signature(VECTOR_TOKEN, VECTOR_URL, VECTOR_FIELDS.items()) == VECTOR_SIGNATURE


def _myapp() -> str:
    require_twilio_signature()
    return "accepted"


@pytest.fixture
def vector_app(make_app):
    """Return an app with Twilio's test token and the check mounted on /myapp.php."""

    def make(**overrides: object):  # type: ignore[no-untyped-def]
        app = make_app(TWILIO_AUTH_TOKEN=VECTOR_TOKEN, **overrides)

        app.add_url_rule("/myapp.php", "myapp", csrf.exempt(_myapp), methods=["POST"])
        return app

    return make


def test_twilios_test_vector_is_accepted_under_a_request_context(make_app):
    app = make_app(TWILIO_AUTH_TOKEN=VECTOR_TOKEN)
    headers = {"X-Twilio-Signature": VECTOR_SIGNATURE}
    with app.test_request_context(
        "/myapp.php?foo=1&bar=2",
        base_url="https://mycompany.com",
        method="POST",
        data=VECTOR_FIELDS,
        headers=headers,
    ):
        require_twilio_signature()  # raises Forbidden if refused


def test_twilios_test_vector_is_accepted_over_https_and_refused_over_http(vector_app):
    client = vector_app().test_client()
    headers = {"X-Twilio-Signature": VECTOR_SIGNATURE}
    accepted = client.post(
        "/myapp.php?foo=1&bar=2",
        base_url="https://mycompany.com",
        data=VECTOR_FIELDS,
        headers=headers,
    )
    assert (accepted.status_code, accepted.get_data(as_text=True)) == (200, "accepted")
    refused = client.post(
        "/myapp.php?foo=1&bar=2",
        base_url="http://mycompany.com",
        data=VECTOR_FIELDS,
        headers=headers,
    )
    assert refused.status_code == 403


def test_twilios_test_vector_is_accepted_behind_a_tls_terminating_proxy(vector_app):
    client = vector_app(TRUSTED_PROXIES=1).test_client()
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "mycompany.com"}
    headers = {"X-Twilio-Signature": VECTOR_SIGNATURE, **forwarded}
    response = client.post(
        "/myapp.php?foo=1&bar=2",
        base_url="http://10.0.0.7:8000",
        data=VECTOR_FIELDS,
        headers=headers,
    )
    assert response.status_code == 200
    plain_http = dict(headers, **{"X-Forwarded-Proto": "http"})
    response = client.post(
        "/myapp.php?foo=1&bar=2",
        base_url="http://10.0.0.7:8000",
        data=VECTOR_FIELDS,
        headers=plain_http,
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    "change",
    ["url", "field", "signature", "new_field", "missing_field", "token"],
)
def test_twilios_test_vector_fails_when_one_thing_changes(vector_app, make_app, change):
    app = vector_app() if change != "token" else None
    if change == "token":
        app = make_app(TWILIO_AUTH_TOKEN="12346")
        app.add_url_rule("/myapp.php", "myapp", csrf.exempt(_myapp), methods=["POST"])
    path, fields, signature = "/myapp.php?foo=1&bar=2", dict(VECTOR_FIELDS), VECTOR_SIGNATURE
    if change == "url":
        path = "/myapp.php?foo=1&bar=3"
    elif change == "field":
        fields["Digits"] = "1235"
    elif change == "signature":
        signature = flip_one_byte(signature, 3)
    elif change == "new_field":
        fields["AddOns"] = "{}"
    elif change == "missing_field":
        del fields["Caller"]
    response = app.test_client().post(
        path,
        base_url="https://mycompany.com",
        data=fields,
        headers={"X-Twilio-Signature": signature},
    )
    assert response.status_code == 403


# --- proxies -------------------------------------------------------------------------------

PUBLIC_HOST = "calls.example.org"


def _voice_fields() -> dict[str, str]:
    return {
        "CallSid": "CA" + secrets.token_hex(16),
        "From": "+33612345678",
        "To": "+33805000000",
        "CallStatus": "ringing",
    }


def test_behind_a_proxy_a_forged_forwarded_host_from_the_client_does_not_pass(
    make_app, app, open_hours
):
    proxied = make_app(TRUSTED_PROXIES=1).test_client()
    fields = _voice_fields()
    before = row_counts(app)
    # The client sent "X-Forwarded-Host: forged.example"; our one proxy appended the real host.
    chain = {
        "X-Forwarded-Proto": "http, https",
        "X-Forwarded-Host": f"forged.example, {PUBLIC_HOST}",
    }
    for forged_url in (
        "https://forged.example/ivr/voice",
        "http://forged.example/ivr/voice",
        f"http://{PUBLIC_HOST}/ivr/voice",
    ):
        headers = {
            **chain,
            "X-Twilio-Signature": twilio_signature(TOKEN, forged_url, fields.items()),
        }
        assert proxied.post("/ivr/voice", data=fields, headers=headers).status_code == 403
    assert row_counts(app) == before
    real = f"https://{PUBLIC_HOST}/ivr/voice"
    headers = {**chain, "X-Twilio-Signature": twilio_signature(TOKEN, real, fields.items())}
    assert proxied.post("/ivr/voice", data=fields, headers=headers).status_code == 200


def test_without_trusted_proxies_forwarded_headers_are_ignored(client, app, open_hours):
    fields = _voice_fields()
    public = f"https://{PUBLIC_HOST}/ivr/voice"
    headers = {
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": PUBLIC_HOST,
        "X-Twilio-Signature": twilio_signature(TOKEN, public, fields.items()),
    }
    before = row_counts(app)
    assert client.post("/ivr/voice", data=fields, headers=headers).status_code == 403
    assert row_counts(app) == before


def test_behind_a_proxy_the_forwarded_port_may_or_may_not_be_in_the_signed_url(
    make_app, app, open_hours
):
    proxied = make_app(TRUSTED_PROXIES=1).test_client()
    forwarded = {
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": PUBLIC_HOST,
        "X-Forwarded-Port": "443",
    }
    for url in (f"https://{PUBLIC_HOST}/ivr/voice", f"https://{PUBLIC_HOST}:443/ivr/voice"):
        fields = _voice_fields()
        headers = {**forwarded, "X-Twilio-Signature": twilio_signature(TOKEN, url, fields.items())}
        assert proxied.post("/ivr/voice", data=fields, headers=headers).status_code == 200


# --- odd URLs and fields -------------------------------------------------------------------

QUERIES = {
    "space as %20": "note=a%20b",
    "space as +": "note=a+b",
    "plus sign": "n=%2B33612345678",
    "apostrophe": "name=O'Brien",
    "apostrophe encoded": "name=O%27Brien",
    "colon": "at=10:30",
    "at sign": "who=agent@example.org",
    "arabic, encoded": "q=%D8%B4%D9%83%D8%B1%D8%A7",
    "arabic, lowercase hex": "q=%d8%b4%d9%83%d8%b1%d8%a7",
    "arabic, raw UTF-8": "q=شكرا",
    "chinese and cyrillic, raw": "a=你好&b=Привет",
    "several parameters": "s=3&l=fr&x=1&y=&z",
    "repeated query keys": "k=1&k=2&k=1",
}
SERVERS = ("werkzeug", "gunicorn", "gunicorn absolute-form", "uWSGI", "bare WSGI")


def _server_environ(server: str, base_url: str, target: str) -> dict[str, str]:
    """Return the raw-target keys each server puts in the WSGI environ for this request line."""
    raw = target.encode().decode("latin-1")  # WSGI strings: the bytes read as Latin-1
    return {
        "werkzeug": {"REQUEST_URI": raw, "RAW_URI": raw},
        "gunicorn": {"REQUEST_URI": "", "RAW_URI": raw},
        "gunicorn absolute-form": {"REQUEST_URI": "", "RAW_URI": base_url + raw},
        "uWSGI": {"REQUEST_URI": raw, "RAW_URI": ""},
        # A server that keeps no raw target: the check rebuilds it from PATH_INFO and QUERY_STRING.
        "bare WSGI": {"REQUEST_URI": "", "RAW_URI": ""},
    }[server]


# The environ of a server that keeps no raw request target (the check rebuilds the URL).
NO_RAW_TARGET = {"REQUEST_URI": "", "RAW_URI": ""}


def post_signed(client, base, target, fields, signature, environ):  # type: ignore[no-untyped-def]
    """Post `fields` with `signature` to `target` under `base`, as a server with `environ` would."""
    return client.post(
        target,
        base_url=base,
        data=fields,
        headers={"X-Twilio-Signature": signature},
        environ_overrides=environ,
    )


@pytest.mark.parametrize("server", SERVERS)
@pytest.mark.parametrize("query", QUERIES.values(), ids=QUERIES.keys())
def test_odd_query_strings_validate_when_signed_and_fail_when_one_byte_changes(
    app, client, open_hours, query, server
):
    base = f"https://{PUBLIC_HOST}"
    target = f"/ivr/voice?{query}"
    fields = _voice_fields()
    environ = _server_environ(server, base, target)
    signature = twilio_signature(TOKEN, base + target, fields.items())
    response = post_signed(client, base, target, fields, signature, environ)
    assert response.status_code == 200, (query, server)

    before = row_counts(app)
    for sent_target, sent_fields, sent_signature in (
        (flip_one_byte(target), fields, signature),
        (target, dict(fields, To=flip_one_byte(fields["To"])), signature),
        (target, fields, flip_one_byte(signature, 5)),
    ):
        refused = post_signed(
            client,
            base,
            sent_target,
            sent_fields,
            sent_signature,
            _server_environ(server, base, sent_target),
        )
        assert refused.status_code == 403, (query, server, sent_target)
    assert row_counts(app) == before


def test_a_field_twilio_adds_without_notice_validates_when_signed(app, client, open_hours):
    fields = {
        **_voice_fields(),
        "CallToken": '{"parentCallInfoToken":"x"}',
        "StirVerstat": "TN-Validation-Passed-A",
        "ZeNewField": "é ش +",
    }
    url = "http://localhost/ivr/voice"
    signature = twilio_signature(TOKEN, url, fields.items())
    assert (
        client.post(
            "/ivr/voice", data=fields, headers={"X-Twilio-Signature": signature}
        ).status_code
        == 200
    )
    before = row_counts(app)
    for changed in ({**fields, "ZeNewField": "é ش -"}, {**fields, "AnotherNewField": ""}):
        headers = {"X-Twilio-Signature": twilio_signature(TOKEN, url, fields.items())}
        assert client.post("/ivr/voice", data=changed, headers=headers).status_code == 403
    assert row_counts(app) == before


def test_repeated_form_keys_validate_when_signed_and_fail_when_one_changes(app, client, open_hours):
    pairs = [*_voice_fields().items(), ("Tag", "b"), ("Tag", "a"), ("Tag", "c")]
    url = "http://localhost/ivr/voice"
    signature = twilio_signature(TOKEN, url, pairs)
    headers = {"X-Twilio-Signature": signature}
    assert client.post("/ivr/voice", data=MultiDict(pairs), headers=headers).status_code == 200
    before = row_counts(app)
    for changed in (pairs[:-1] + [("Tag", "d")], pairs[:-1], [*pairs, ("Tag", "e")]):
        assert (
            client.post("/ivr/voice", data=MultiDict(changed), headers=headers).status_code == 403
        )
    assert row_counts(app) == before


# --- fail closed ---------------------------------------------------------------------------


@pytest.mark.parametrize("headers", [{}, {"X-Twilio-Signature": ""}, {"X-Twilio-Signature": " "}])
def test_an_absent_or_empty_signature_header_is_refused_and_writes_nothing(
    app, client, open_hours, headers
):
    before = row_counts(app)
    response = client.post("/ivr/voice", data=_voice_fields(), headers=headers)
    assert response.status_code == 403
    assert row_counts(app) == before


def test_an_empty_auth_token_refuses_everything_even_a_request_signed_with_it(make_app, open_hours):
    app = make_app(TWILIO_AUTH_TOKEN="")
    fields = _voice_fields()
    signature = twilio_signature("", "http://localhost/ivr/voice", fields.items())
    response = app.test_client().post(
        "/ivr/voice", data=fields, headers={"X-Twilio-Signature": signature}
    )
    assert response.status_code == 403


class _BrokenValidator:
    """A signature library that fails whatever it is asked (a bug, a missing dependency)."""

    def __init__(self, token: str) -> None:
        """Accept the token, as the real one does."""

    def compute_signature(self, url: str, params: object) -> str:
        """Fail."""
        raise RuntimeError("the check cannot run")

    validate = compute_signature


def test_a_signature_check_that_cannot_run_refuses_even_a_well_signed_request(
    app, client, open_hours, monkeypatch, caplog
):
    fields = _voice_fields()
    signature = twilio_signature(TOKEN, "http://localhost/ivr/voice", fields.items())
    monkeypatch.setattr("ivr.signature.RequestValidator", _BrokenValidator)
    before = row_counts(app)
    response = client.post("/ivr/voice", data=fields, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 403
    assert row_counts(app) == before
    # The operator reads which webhook could not be checked, and why (the traceback).
    logged = [r for r in caplog.records if r.name == "ivr.signature"]
    assert [r.getMessage() for r in logged] == ["the signature of /ivr/voice could not be checked"]
    assert logged[0].exc_info is not None and "the check cannot run" in caplog.text


PRODUCTION = {
    "APP_ENV": "production",
    "SECRET_KEY": "s3cret-for-the-test",
    "TWILIO_AUTH_TOKEN": "token-for-the-test",
}


@pytest.mark.parametrize(
    "missing",
    [
        {"TWILIO_AUTH_TOKEN": None},
        {"TWILIO_AUTH_TOKEN": ""},
        {"TWILIO_AUTH_TOKEN": "  "},
        {"TWILIO_AUTH_TOKEN": settings.DEVELOPMENT_AUTH_TOKEN},
        {"SECRET_KEY": None},
        {"SECRET_KEY": ""},
        {"SECRET_KEY": settings.DEVELOPMENT_SECRET},
    ],
)
def test_in_production_a_missing_secret_stops_the_app_from_starting(monkeypatch, missing):
    for name, value in {**PRODUCTION, **missing}.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_in_production_an_override_cannot_blank_the_token(monkeypatch):
    for name, value in PRODUCTION.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "TWILIO_AUTH_TOKEN": ""})


@pytest.mark.parametrize("overrides", [{}, {"SQLALCHEMY_DATABASE_URI": ""}])
def test_without_a_database_url_the_app_uses_the_sqlite_file_of_its_instance(
    monkeypatch, overrides
):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("APP_ENV", "development")
    app = create_app(overrides)
    expected = f"sqlite:///{os.path.join(app.instance_path, 'callcentre.db')}"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == expected


def test_a_production_server_without_the_token_exits_instead_of_serving():
    env = {k: v for k, v in os.environ.items() if k not in ("TWILIO_AUTH_TOKEN", "SECRET_KEY")}
    env.update(APP_ENV="production", SECRET_KEY="s3cret", DATABASE_URL="sqlite://")
    done = subprocess.run(
        [sys.executable, "-c", "from app import create_app; create_app()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "TWILIO_AUTH_TOKEN must be set" in done.stderr


# --- under gunicorn, over a real socket ----------------------------------------------------


@pytest.fixture(scope="module")
def gunicorn_server(database_url, tmp_path_factory):  # type: ignore[no-untyped-def]
    """Serve the app with gunicorn (one sync worker) on loopback for this module's tests."""
    from bench.servers import Gunicorn

    env = dict(
        os.environ,
        APP_ENV="development",
        DATABASE_URL=database_url,
        TWILIO_AUTH_TOKEN=TOKEN,
        SECRET_KEY="test-secret",
        LOG_LEVEL="WARNING",
    )
    log = tmp_path_factory.mktemp("gunicorn") / "server.log"
    with Gunicorn("app:create_app()", workers=1, env=env, cwd=ROOT, log=log) as server:
        yield server


def _send_raw(server, request_line_target: str, fields: dict[str, str], signature: str) -> int:  # type: ignore[no-untyped-def]
    """Send one POST with the request target exactly as given (bytes: UTF-8); return the status."""
    import socket

    from bench.load import raw_request

    data = raw_request(server.host, request_line_target, fields, signature)
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as connection:
        connection.sendall(data)
        head = connection.recv(64).decode("latin-1")
    return int(head.split(" ", 2)[1])


@pytest.mark.parametrize("absolute", [False, True], ids=["origin-form", "absolute-form"])
@pytest.mark.parametrize("query", QUERIES.values(), ids=QUERIES.keys())
def test_under_gunicorn_odd_query_strings_validate_and_fail_when_one_byte_changes(
    gunicorn_server, app, query, absolute
):
    base = gunicorn_server.base_url
    target = f"/ivr/voice?{query}"
    fields = _voice_fields()
    signature = twilio_signature(TOKEN, base + target, fields.items())
    sent = base + target if absolute else target
    assert _send_raw(gunicorn_server, sent, fields, signature) == 200, (query, absolute)
    before = row_counts(app)
    assert _send_raw(gunicorn_server, flip_one_byte(sent), fields, signature) == 403
    tampered = dict(fields, From=flip_one_byte(fields["From"]))
    assert _send_raw(gunicorn_server, sent, tampered, signature) == 403
    assert row_counts(app) == before


# --- the webhook routes: every one checked, none behind CSRF, none redirecting ---------------


def _webhook_rules(app) -> list[str]:  # type: ignore[no-untyped-def]
    # A rule's id (the outbox message a delivery report is about) is given as 1.
    return sorted(
        rule.rule.replace("<int:message_id>", "1")
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/ivr/")
    )


def test_the_webhook_routes_are_the_ones_these_tests_know(app):
    # A new webhook must be added here, and so to every test below that walks this list.
    assert _webhook_rules(app) == [
        "/ivr/desk/bridge",
        "/ivr/desk/connect",
        "/ivr/desk/join",
        "/ivr/fallback",
        "/ivr/outbox/1/status",
        "/ivr/queue/choice",
        "/ivr/queue/wait",
        "/ivr/recording",
        "/ivr/sms",
        "/ivr/status",
        "/ivr/step",
        "/ivr/transcription",
        "/ivr/voice",
    ]


@pytest.mark.parametrize("method", ["POST", "GET", "PUT", "OPTIONS", "HEAD"])
def test_every_webhook_route_refuses_an_unsigned_request_whatever_the_method(
    app, client, open_hours, method
):
    before = row_counts(app)
    for rule in _webhook_rules(app):
        response = client.open(rule, method=method, data=_voice_fields())
        assert response.status_code in (403, 405), (rule, method)
        assert not 300 <= response.status_code < 400
    assert row_counts(app) == before


def test_every_webhook_route_answers_a_signed_post_without_a_csrf_token(make_app, app, open_hours):
    protected = make_app(WTF_CSRF_ENABLED=True, WTF_CSRF_CHECK_DEFAULT=True)
    client = protected.test_client()
    for rule in _webhook_rules(protected):
        fields = _voice_fields()
        signature = twilio_signature(TOKEN, "http://localhost" + rule, fields.items())
        response = client.post(rule, data=fields, headers={"X-Twilio-Signature": signature})
        assert response.status_code == 200, rule
        assert response.mimetype == "text/xml"
    # The exemption is the webhooks' alone: a form elsewhere still needs its token.
    assert client.post("/try/", data={"action": "dial"}).status_code == 400


@pytest.mark.parametrize(
    "variant",
    [
        "/ivr//voice",
        "//ivr/voice",
        "/ivr/voice/",
        "/ivr/./voice",
        "/ivr/Voice",
        "/ivr/voice;x",
        "/IVR/voice",
    ],
)
def test_a_webhook_url_never_answers_with_a_redirect(app, client, open_hours, variant):
    fields = _voice_fields()
    signature = twilio_signature(TOKEN, "http://localhost" + variant, fields.items())
    response = client.post(variant, data=fields, headers={"X-Twilio-Signature": signature})
    assert not 300 <= response.status_code < 400, (variant, response.status_code)


def test_a_server_that_keeps_no_raw_target_is_checked_with_the_apps_mount_point(
    app, client, open_hours
):
    # Served under a prefix (SCRIPT_NAME) whose characters a path may carry as they are: the
    # URL rebuilt from the decoded path must be the one Twilio called, prefix and all.
    base = f"https://{PUBLIC_HOST}/consulate:casablanca@ma"
    target = "/ivr/voice?l=fr"
    fields = _voice_fields()
    signature = twilio_signature(TOKEN, base + target, fields.items())
    response = post_signed(client, base, target, fields, signature, NO_RAW_TARGET)
    assert response.status_code == 200
    escaped = twilio_signature(
        TOKEN, f"https://{PUBLIC_HOST}/consulate%3Acasablanca%40ma{target}", fields.items()
    )
    refused = post_signed(client, base, target, fields, escaped, NO_RAW_TARGET)
    assert refused.status_code == 403


def test_a_server_that_omits_an_empty_mount_point_is_checked_all_the_same(app, client, open_hours):
    # PEP 3333 lets a server leave SCRIPT_NAME out when it is empty (an app at the root).
    inner = app.wsgi_app

    def without_script_name(environ, start_response):  # type: ignore[no-untyped-def]
        environ.pop("SCRIPT_NAME", None)
        return inner(environ, start_response)

    app.wsgi_app = without_script_name  # type: ignore[method-assign]
    fields = _voice_fields()
    url = f"https://{PUBLIC_HOST}/ivr/voice?l=fr"
    response = post_signed(
        client,
        f"https://{PUBLIC_HOST}",
        "/ivr/voice?l=fr",
        fields,
        twilio_signature(TOKEN, url, fields.items()),
        NO_RAW_TARGET,
    )
    assert response.status_code == 200


@pytest.mark.parametrize("server", ["werkzeug", "gunicorn", "gunicorn absolute-form", "uWSGI"])
def test_a_path_with_an_encoded_letter_is_checked_as_sent_by_servers_that_keep_it(
    app, client, open_hours, server
):
    # A webhook URL typed in Twilio's console as /ivr/%76oice reaches /ivr/voice, but Twilio
    # signed the URL as typed: the check must use the request line, not the decoded path.
    base = f"https://{PUBLIC_HOST}"
    target = "/ivr/%76oice?l=fr"
    fields = _voice_fields()
    environ = _server_environ(server, base, target)
    as_sent = twilio_signature(TOKEN, base + target, fields.items())
    response = post_signed(client, base, target, fields, as_sent, environ)
    assert response.status_code == 200, server
    decoded = twilio_signature(TOKEN, base + "/ivr/voice?l=fr", fields.items())
    refused = post_signed(client, base, target, fields, decoded, environ)
    assert refused.status_code == 403, server
