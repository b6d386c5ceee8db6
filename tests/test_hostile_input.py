"""Hostile or mistaken input is refused where it comes in, with a message saying what is wrong.

Control characters would make the TwiML of every call invalid XML; targets nobody dials make
a notice nobody hears; a document bomb would take a worker down. Each door refuses them.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from casefeed import case_row, reference, write_csv
from helpers import post_form

from cases.models import Case, CaseEvent
from centre.extensions import db
from centre.languages import CODES
from centre.notices import Notice

NOTICE_FORM = {
    "starts": "2026-12-01T00:00",
    "ends": "2026-12-10T00:00",
    **{f"text_{code}": f"Notice {code}" for code in CODES},
}
CLI_NOTICE = [
    "notices",
    "add",
    "--starts",
    "2026-12-01T08:00",
    "--ends",
    "2026-12-08T08:00",
    *(f"--text={code}=notice {code}" for code in CODES),
]


def stored_notices(app) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """Return the scope (countries, numbers) of every stored notice."""
    with app.app_context():
        return [(n.countries, n.numbers) for n in db.session.scalars(sa.select(Notice))]


# --- notices ---------------------------------------------------------------------------------


def test_a_control_character_in_a_notice_is_refused_on_the_page_and_in_the_shell(
    app, log_in, runner
):
    client = log_in("supervisor", "", locale="en")
    refused = post_form(client, "/centre/notices", {**NOTICE_FORM, "text_de": "Achtung\x01"})
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "The text in German contains an invisible control character (U+0001)" in page
    french = log_in("supervisor", "", locale="fr", email="fr@example.org")
    page = post_form(french, "/centre/notices", {**NOTICE_FORM, "text_ar": "\x00"}).get_data(
        as_text=True
    )
    assert "Le texte en arabe contient" in page and "(U+0000)" in page
    shell = runner.invoke(args=[*CLI_NOTICE, "--text=fr=Fermé\x1b[2J"])
    assert shell.exit_code != 0 and "fr text contains the control character U+001B" in shell.output
    assert stored_notices(app) == []
    # Lines and tabs are text a notice may hold.
    assert (
        post_form(
            client, "/centre/notices", {**NOTICE_FORM, "text_en": "One.\r\n\tTwo."}
        ).status_code
        == 302
    )


def test_notice_countries_are_codes_or_names_and_unknown_ones_are_refused(app, log_in, runner):
    client = log_in("supervisor", "", locale="en")
    for typed in ("Atlantis", "Spain Atlantis", "US"):
        refused = post_form(client, "/centre/notices", {**NOTICE_FORM, "countries": typed})
        assert refused.status_code == 422, typed
        wrong = typed.split()[-1]
        assert f"Unknown country: {wrong}." in refused.get_data(as_text=True)
    shell = runner.invoke(args=[*CLI_NOTICE, "--country", "Narnia"])
    assert shell.exit_code != 0 and "unknown country 'Narnia'" in shell.output
    assert stored_notices(app) == []
    saved = post_form(client, "/centre/notices", {**NOTICE_FORM, "countries": "Spain Belgium"})
    assert saved.status_code == 302
    added = runner.invoke(args=[*CLI_NOTICE, "--country", "Royaume-Uni", "--country", "spain"])
    assert added.exit_code == 0, added.output
    assert stored_notices(app) == [("BE ES", ""), ("ES GB", "")]
    # And the caller to the Spanish number hears the notice typed as "Spain Belgium".
    heard = client.get("/centre/preview?country=ES&language=es&at=2026-12-03T10:00")
    assert "<li>Notice es</li>" in heard.get_data(as_text=True)


def test_notice_numbers_must_be_international_numbers_of_the_centres_countries(app, log_in, runner):
    client = log_in("supervisor", "", locale="en")
    for typed in ("0805000000", "+1 212 555 0100", "call me"):
        refused = post_form(client, "/centre/notices", {**NOTICE_FORM, "numbers": typed})
        assert refused.status_code == 422, typed
        assert "No caller dials" in refused.get_data(as_text=True)
    shell = runner.invoke(args=[*CLI_NOTICE, "--number", "0805000000"])
    assert shell.exit_code != 0 and "'0805000000' is not a number callers dial" in shell.output
    assert stored_notices(app) == []
    added = runner.invoke(args=[*CLI_NOTICE, "--number", "+33 805 00 00 00"])
    assert added.exit_code == 0, added.output
    typed = "+34 900 00 00 00, +32800000000 +32800000001"
    assert (
        post_form(client, "/centre/notices", {**NOTICE_FORM, "numbers": typed}).status_code == 302
    )
    assert stored_notices(app) == [
        ("", "+33805000000"),
        ("", "+32800000000 +32800000001 +34900000000"),
    ]


def test_the_same_notice_for_an_overlapping_time_is_refused(app, log_in, runner):
    client = log_in("supervisor", "", locale="en")
    form = {**NOTICE_FORM, "countries": "FR BE"}
    assert post_form(client, "/centre/notices", form).status_code == 302
    again = post_form(
        client, "/centre/notices", {**form, "countries": "be, fr", "starts": "2026-12-09T00:00"}
    )
    assert again.status_code == 422
    assert "already planned" in again.get_data(as_text=True)
    shell = runner.invoke(
        args=[
            "notices",
            "add",
            "--starts",
            "2026-12-02T08:00",
            "--ends",
            "2026-12-03T08:00",
            "--country",
            "FR",
            "--country",
            "BE",
            *(f"--text={code}=Notice {code}" for code in CODES),
        ]
    )
    assert shell.exit_code != 0 and "already says this" in shell.output
    # After it ends, or to other callers, or saying something else: a notice of its own.
    assert (
        post_form(
            client,
            "/centre/notices",
            {**form, "starts": "2026-12-10T00:00", "ends": "2026-12-11T00:00"},
        ).status_code
        == 302
    )
    assert post_form(client, "/centre/notices", {**form, "countries": "FR"}).status_code == 302
    assert post_form(client, "/centre/notices", {**form, "text_fr": "Autre"}).status_code == 302
    assert len(stored_notices(app)) == 4


def test_a_notice_with_a_date_that_is_not_one_is_refused_by_the_shell(app, runner):
    shell = runner.invoke(
        args=[
            "notices",
            "add",
            "--starts",
            "tomorrow",
            "--ends",
            "2026-12-08",
            *(f"--text={code}=Notice {code}" for code in CODES),
        ]
    )
    assert shell.exit_code == 2 and "not 'tomorrow'" in shell.output
    assert "Traceback" not in shell.output


# --- the push API and the CSV feed of cases -------------------------------------------------


@pytest.fixture
def push(app, client, runner, guide):  # type: ignore[no-untyped-def]
    """Return a function posting a body (JSON data, or raw text as JSON) with a valid token."""
    added = runner.invoke(args=["cases", "client-add", "backoffice"])
    token = added.output.strip().splitlines()[-1]

    def send(body: object = None, raw: str | None = None):  # type: ignore[no-untyped-def]
        headers = {"Authorization": f"Bearer {token}"}
        if raw is not None:
            return client.post(
                "/api/cases/status", data=raw, headers=headers, content_type="application/json"
            )
        return client.post("/api/cases/status", json=body, headers=headers)

    return send


def api_change(**fields: object) -> dict[str, object]:
    """Return a JSON change of a new case."""
    return {
        "reference": reference(1),
        "status": "received",
        "service": "passport",
        "updated_at": "2026-11-20T10:00:00+01:00",
        "birth_date": "1984-03-05",
        **fields,
    }


def stored_cases(app) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """Return how many cases and status changes are stored."""
    with app.app_context():
        cases = db.session.scalar(sa.select(sa.func.count()).select_from(Case))
        events = db.session.scalar(sa.select(sa.func.count()).select_from(CaseEvent))
        return cases or 0, events or 0


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"consulate": "Paris\x00"}, "change 2: consulate contains the control character U+0000"),
        ({"consulate": "Lyon\x1b[31m"}, "consulate contains the control character U+001B"),
        ({"consulate": "Nice\ud800"}, "consulate contains the control character U+D800"),
        ({"reference": "\x00"}, "reference contains the control character U+0000"),
        (
            {"updated_at": "0001-01-01T00:00:00+14:00"},
            "'0001-01-01T00:00:00+14:00' is out of range",
        ),
        ({"updated_at": "9999-12-31T23:59:59-14:00"}, "is in the future"),
        (
            {"service": "passport-renewal"},
            "service 'passport-renewal' is not a service of the guide",
        ),
        ({"consulate": {"name": "Paris"}}, "consulate is not a text value"),
    ],
)
def test_a_push_with_a_hostile_field_is_refused_whole_with_a_message(app, push, fields, message):
    response = push([api_change(reference=reference(2)), api_change(**fields)])
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.json["error"] == "invalid_change" and message in response.json["message"]
    assert stored_cases(app) == (0, 0)


def test_a_push_nested_too_deep_is_refused_before_the_parser_runs_out_of_stack(app, push):
    for raw in (
        "[" * 100_000 + "]" * 100_000,
        '{"changes": [[[[[]]]]]}',
        '{"changes": [' + "[" * 900 + "]" * 900 + "]}",
    ):
        response = push(raw=raw)
        assert response.status_code == 400
        assert response.json == {
            "error": "invalid_body",
            "message": "the JSON is nested deeper than 4 levels",
        }
    assert push({"changes": [api_change(missing_documents=["photos"])]}).status_code == 200
    assert stored_cases(app) == (1, 1)


def test_a_csv_with_a_control_character_or_an_unknown_service_is_refused_with_its_line(
    app, runner, tmp_path, guide
):
    for number, fields, message in (
        (3, {"consulate": "Paris\x01"}, "line 3: consulate contains the control character U+0001"),
        (2, {"service": "passport-renewal"}, "line 2: service 'passport-renewal' is not a service"),
    ):
        rows = [case_row(1), case_row(2), case_row(3), case_row(4)]
        rows[number - 2] = case_row(number, **fields)
        path = write_csv(tmp_path / "cases.csv", rows)
        result = runner.invoke(args=["cases", "import", str(path)])
        assert result.exit_code != 0 and message in result.output, result.output
    assert stored_cases(app) == (0, 0)


# --- the guide: its file import, its editor, its links ---------------------------------------

EDITOR = "/guide/editor"
BILLION_LAUGHS = """guide: 1
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def import_by_command(runner, tmp_path, text: str):  # type: ignore[no-untyped-def]
    """Run `guide import` on a file holding `text`."""
    path = tmp_path / "guide.yaml"
    path.write_text(text, encoding="utf-8")
    return runner.invoke(args=["guide", "import", str(path)])


def import_by_page(client, text: str):  # type: ignore[no-untyped-def]
    """Upload `text` on the guide's import page; return the response."""
    import io

    from helpers import csrf_token

    token = csrf_token(client, f"{EDITOR}/file")
    return client.post(
        f"{EDITOR}/file/import",
        data={"csrf_token": token, "file": (io.BytesIO(text.encode()), "guide.yaml")},
        content_type="multipart/form-data",
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (BILLION_LAUGHS, "line 2: anchors and aliases (& and *) are not accepted"),
        (
            "guide: 1\nservices: " + "[" * 1000 + "]" * 1000 + "\n",
            "line 2: the file nests values more than 20 levels deep",
        ),
        (
            '{"guide": 1, "services": ' + "[" * 5000 + "]" * 5000 + "}",
            "line 1: the file nests values more than 20 levels deep",
        ),
        (
            "guide: 1\ncategories: [" + "0," * 100_000 + "0]\n",
            "line 2: the file holds more than 100000 values",
        ),
        ("guide: 1\n# " + "x" * (2 * 1024 * 1024) + "\n", "line 1: the file is larger than 2 MB"),
    ],
    ids=["billion-laughs", "deep-yaml", "deep-json", "too-many-values", "too-large"],
)
def test_a_guide_file_that_would_take_a_worker_down_is_refused_and_says_why(
    app, guide, runner, tmp_path, text, message
):
    result = import_by_command(runner, tmp_path, text)
    assert result.exit_code == 1 and message in result.output, result.output[-500:]
    assert "Traceback" not in result.output


def test_the_import_page_says_why_a_bomb_is_refused(app, guide, log_in):
    editor = log_in("editor", locale="en")
    response = import_by_page(editor, BILLION_LAUGHS)
    assert response.status_code == 422
    assert "anchors and aliases (&amp; and *) are not accepted" in response.get_data(as_text=True)
    french = log_in("editor", locale="fr", email="fr@example.org")
    deep = import_by_page(french, "guide: 1\nservices: " + "[" * 1000 + "]" * 1000)
    assert deep.status_code == 422 and "20 niveaux" in deep.get_data(as_text=True)


def test_an_imported_control_character_or_script_link_is_refused_with_its_line(
    app, guide, runner, tmp_path
):
    from knowledge import transfer

    with app.app_context():
        data = transfer.export_guide()
    data["services"][0]["texts"]["en"]["summary"] = "Ring \x07 twice."
    data["services"][1]["facts"]["source_url"] = "javascript:alert(1)"
    text = transfer.dump(data)
    lines = text.splitlines()
    bell = next(i for i, line in enumerate(lines) if "\\a" in line) + 1
    script = next(i for i, line in enumerate(lines) if "javascript:" in line) + 1
    result = import_by_command(runner, tmp_path, text)
    assert result.exit_code == 1
    assert (
        f"line {bell}, services[0].texts.en.summary: contains an invisible control"
        " character (U+0007)"
    ) in result.output
    assert (
        f"line {script}, services[1].facts.source_url: must be a web address starting"
        " with http:// or https://"
    ) in result.output


def test_the_editor_refuses_a_control_character_and_a_link_that_is_not_http(app, guide, log_in):
    from helpers import csrf_token

    editor = log_in("editor", locale="en")
    page = f"{EDITOR}/services/passport/en"
    refused = editor.post(
        page,
        data={"csrf_token": csrf_token(editor, page), "title": "Passport\x01", "summary": "Apply."},
    )
    assert refused.status_code == 422
    assert "Title contains an invisible control character (U+0001)" in refused.get_data(
        as_text=True
    )
    facts = f"{EDITOR}/services/passport/facts"
    with app.app_context():
        from knowledge import editing

        values = editing.latest_facts(editing.service_by_slug("passport"))
    form = {
        "csrf_token": csrf_token(editor, facts),
        "facts_form": "1",
        "category": values["category"],
        "position": str(values["position"]),
        "source_url": "javascript:alert(1)",
    }
    for link in ("javascript:alert(1)", "data:text/html,hi", "https://", "//evil.example"):
        refused = editor.post(facts, data={**form, "source_url": link})
        assert refused.status_code == 422, link
        assert "must be a web address starting with http:// or https://" in refused.get_data(
            as_text=True
        )
    assert (
        editor.post(facts, data={**form, "source_url": "http://www.consulat.ma/a?b=c"}).status_code
        == 302
    )


def test_a_link_stored_before_links_were_checked_is_neither_texted_nor_served(app, guide, client):
    from knowledge import services
    from knowledge.models import Service

    with app.app_context():
        service = db.session.scalar(sa.select(Service).where(Service.slug == "passport"))
        service.source_url = "javascript:alert(1)"
        db.session.commit()
        entry = services.published("passport", "en")
        assert "javascript" not in services.sms_text(entry)
    assert client.get("/api/guide/passport?lang=en").get_json()["source_url"] == ""


def test_a_file_too_large_for_a_request_is_refused_with_a_page_saying_so(app, guide, log_in):
    from helpers import csrf_token

    editor = log_in("editor", locale="fr")
    token = csrf_token(editor, f"{EDITOR}/file")
    # The body is built by hand: the test client would spool a large upload to a file it
    # never closes (a ResourceWarning, an error here).
    body = (
        f'--b\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
        '--b\r\nContent-Disposition: form-data; name="file"; filename="guide.yaml"\r\n'
        "Content-Type: application/x-yaml\r\n\r\nguide: 1\n# "
        + "x" * (1024 * 1024)
        + "\r\n--b--\r\n"
    ).encode()
    response = editor.post(
        f"{EDITOR}/file/import", data=body, content_type="multipart/form-data; boundary=b"
    )
    assert response.status_code == 413
    assert "trop volumineux : 1 Mo au plus" in response.get_data(as_text=True)
