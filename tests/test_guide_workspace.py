"""The editors' workspace through its pages and commands: drafts, publishing, stale marks, files."""

from __future__ import annotations

import re
from datetime import date
from html import unescape

import pytest
import sqlalchemy as sa
import yaml
from babel.dates import format_date
from babel.numbers import format_currency
from flask_babel import force_locale
from helpers import csrf_token, post_form, row_counts, walk_to_main_menu
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from centre.extensions import db
from centre.formatting import isolated
from knowledge import editing, search, services, transfer
from knowledge.models import (
    CURRENT,
    DRAFT,
    PUBLISHED,
    STALE,
    ServiceFacts,
    ServiceTranslation,
    UnmatchedPhrase,
)
from staff.models import AuditEntry

EDITOR = "/guide/editor"


def page_of(response) -> str:  # type: ignore[no-untyped-def]
    """Return a response's HTML with entities decoded."""
    return unescape(response.get_data(as_text=True))


def published(app, slug: str, code: str) -> ServiceTranslation:  # type: ignore[no-untyped-def]
    """Return the published text callers hear (detached copy of its fields)."""
    with app.app_context():
        entry = services.published(slug, code)
        assert entry is not None
        db.session.expunge(entry.text)
        return entry.text


def save(client, slug: str, code: str, **fields: str):  # type: ignore[no-untyped-def]
    """Post the text editor's form with `fields` changed, as the browser sends it."""
    return post_form(client, f"{EDITOR}/services/{slug}/{code}", fields)


def publish(client, slug: str, code: str):  # type: ignore[no-untyped-def]
    """Press the text editor's Publish button."""
    page = f"{EDITOR}/services/{slug}/{code}"
    return post_form(client, f"{page}/publish", {}, page)


def guide_counts(app) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Return the number of rows of each of the guide's tables."""
    return {name: count for name, count in row_counts(app).items() if name.startswith("guide_")}


def audit_actions(app) -> list[str]:  # type: ignore[no-untyped-def]
    """Return the guide's audit actions, oldest first."""
    with app.app_context():
        query = sa.select(AuditEntry.action).where(AuditEntry.action.startswith("guide."))
        return list(db.session.scalars(query.order_by(AuditEntry.id)))


def test_an_agent_can_neither_read_nor_change_the_guide(app, guide, log_in):
    agent = log_in("agent")
    token = csrf_token(agent, "/staff/account")
    assert agent.get(f"{EDITOR}/").status_code == 403
    assert agent.get(f"{EDITOR}/services/passport/fr").status_code == 403
    refused = agent.post(
        f"{EDITOR}/services/passport/fr", data={"csrf_token": token, "summary": "Changed."}
    )
    assert refused.status_code == 403
    assert published(app, "passport", "fr").version == 1
    with app.app_context():
        assert (
            db.session.scalar(
                sa.select(sa.func.count())
                .select_from(ServiceTranslation)
                .where(ServiceTranslation.status == DRAFT)
            )
            == 0
        )


def test_a_supervisor_reads_the_workspace_but_cannot_publish(app, guide, log_in):
    supervisor = log_in("supervisor")
    page = supervisor.get(f"{EDITOR}/services/passport/fr")
    assert page.status_code == 200
    assert 'id="save"' not in page_of(page) and "<fieldset disabled>" in page_of(page)
    assert save(supervisor, "passport", "fr", summary="Changed.").status_code == 403


@pytest.mark.parametrize(
    ("locale", "title", "not_title", "dutch"),
    [
        ("ar", "جواز السفر البيومتري", "Passeport biométrique", "الهولندية"),
        ("de", "Biometrischer Reisepass", "Passeport biométrique", "Niederländisch"),
        ("fr", "Passeport biométrique", "Biometrischer Reisepass", "Néerlandais"),
    ],
)
def test_the_guide_names_its_services_and_languages_in_the_editors_language(
    app, guide, log_in, locale, title, not_title, dutch
):
    editor = log_in("editor", locale=locale)
    html = page_of(editor.get(f"{EDITOR}/"))
    row = re.search(r'<tr data-slug="passport">.*?</tr>', html, re.S)
    assert row is not None
    assert title in row.group(0) and not_title not in row.group(0)
    assert f'<th data-language="nl">{dutch}</th>' in html  # a word, not the code "nl"
    # Another language's names on request.
    other = page_of(editor.get(f"{EDITOR}/?titles=de"))
    assert "Biometrischer Reisepass" in other


def test_a_change_without_the_csrf_token_is_refused(app, guide, log_in):
    editor = log_in("editor")
    response = editor.post(f"{EDITOR}/services/passport/fr", data={"summary": "Changed."})
    assert response.status_code == 400
    with app.app_context():
        assert editing.open_draft(editing.service_by_slug("passport"), "fr") is None


def test_a_draft_is_not_heard_until_published_and_every_step_is_audited(app, guide, log_in):
    editor = log_in("editor")
    before = published(app, "passport", "en")
    response = save(editor, "passport", "en", summary="A passport is valid for five years.")
    assert response.status_code == 302
    assert published(app, "passport", "en").summary == before.summary  # callers: unchanged
    save(editor, "passport", "en", summary="A passport is valid for five years. Apply early.")
    with app.app_context():
        drafts = [
            t
            for t in editing.versions(editing.service_by_slug("passport"), "en")
            if t.status == DRAFT
        ]
        assert [t.version for t in drafts] == [2]  # saving again updates the one draft
    publish(editor, "passport", "en")
    now = published(app, "passport", "en")
    assert (now.version, now.summary) == (2, "A passport is valid for five years. Apply early.")
    assert audit_actions(app) == ["guide.draft", "guide.draft", "guide.publish"]
    with app.app_context():
        entry = db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "guide.publish")
        ).one()
        assert entry.actor_email == editor.member.email
        assert entry.before["summary"] == before.summary
        assert entry.after["summary"] == now.summary and entry.after["version"] == 2


def test_the_preview_is_what_the_phone_says_with_its_length(app, guide, log_in, call, open_hours):
    editor = log_in("editor", locale="en")
    save(editor, "passport", "en", summary="Short summary for the phone.")
    html = page_of(editor.get(f"{EDITOR}/services/passport/en"))
    preview = html[html.index('id="preview"') :]
    assert "Short summary for the phone." in preview  # the draft is previewed before publishing
    assert re.search(r"takes about [\d.]+ s, in 5 parts", preview)
    publish(editor, "passport", "en")
    phone = call()
    walk_to_main_menu(phone, "en")
    phone.press("1")
    turn = phone.speak("I need to renew my passport")
    spoken = re.findall(
        r'<p class="spoken">(.*?)</p>', page_of(editor.get(f"{EDITOR}/services/passport/en")), re.S
    )
    assert spoken[0].split() == " ".join(turn.text.split()[: len(spoken[0].split())]).split()
    assert 'data-lang="en-GB"' in html and 'class="listen"' in html


def test_publishing_the_source_text_makes_the_others_stale_until_reviewed(app, guide, log_in):
    editor = log_in("editor")
    english = published(app, "visa", "en")
    save(editor, "visa", "fr", summary="Le visa se demande en ligne désormais.")
    publish(editor, "visa", "fr")
    for code in ("ar", "es", "it", "nl", "de", "en"):
        assert published(app, "visa", code).review_state == STALE
    # Callers in English still hear the last reviewed text.
    still = published(app, "visa", "en")
    assert (still.version, still.summary) == (english.version, english.summary)
    status = page_of(editor.get(f"{EDITOR}/"))
    assert re.search(r'data-slug="visa".*?data-language="en" data-state="stale"', status, re.S)
    assert 'data-language="en" data-state="stale">1<' in status
    page = f"{EDITOR}/services/visa/en"
    post_form(editor, f"{page}/review", {}, page)
    assert published(app, "visa", "en").review_state == CURRENT
    save(editor, "visa", "de", summary="Das Visum wird jetzt online beantragt.")
    publish(editor, "visa", "de")  # publishing a translation is a review too
    assert published(app, "visa", "de").review_state == CURRENT
    assert published(app, "visa", "es").review_state == STALE
    # A synonym in the source language is not a change of meaning.
    save(editor, "visa", "fr", synonyms="visa touristique\nvisa pour ma femme")
    publish(editor, "visa", "fr")
    assert published(app, "visa", "en").review_state == CURRENT


def test_restoring_makes_a_new_version_and_keeps_the_history(app, guide, log_in):
    editor = log_in("editor")
    original = published(app, "marriage", "en")
    save(editor, "marriage", "en", title="Marriage at the consulate")
    publish(editor, "marriage", "en")
    page = f"{EDITOR}/services/marriage/en"
    post_form(editor, f"{page}/restore", {"version": "1"}, page)
    assert published(app, "marriage", "en").title == "Marriage at the consulate"  # a draft
    publish(editor, "marriage", "en")
    now = published(app, "marriage", "en")
    assert (now.version, now.title) == (3, original.title)
    with app.app_context():
        history = editing.versions(editing.service_by_slug("marriage"), "en")
        assert [(t.version, t.title) for t in history] == [
            (3, original.title),
            (2, "Marriage at the consulate"),
            (1, original.title),
        ]
    assert "guide.restore" in audit_actions(app)


def test_two_versions_compare_field_by_field(app, guide, log_in):
    editor = log_in("editor", locale="en")
    save(
        editor,
        "passport",
        "en",
        summary="A new passport summary.",
        keywords="passport\nnew passport\nbiometric passport",
    )
    publish(editor, "passport", "en")
    html = page_of(editor.get(f"{EDITOR}/services/passport/en/compare?a=1&b=2"))
    changed = re.findall(r'data-field="(\w+)"', html)
    assert set(changed) <= {"summary", "keywords"} and "summary" in changed
    assert "<ins>new</ins>" in html and "<del>" in html
    assert "<h3>Title</h3>" not in html
    same = page_of(editor.get(f"{EDITOR}/services/passport/en/compare?a=2&b=2"))
    assert "These two versions are the same." in same
    assert editor.get(f"{EDITOR}/services/passport/en/compare?a=1&b=9").status_code == 404


def test_facts_are_drafted_then_published_and_make_every_language_stale(app, guide, log_in, client):
    editor = log_in("editor")
    before = client.get("/api/guide/passport?lang=fr").get_json()["fees"]
    fees = {f["kind"]: f for f in before}
    form = {
        "facts_form": "1",
        "category": "identity-and-travel",
        "position": "2",
        "published": "on",
        "verified": "on",
        "source_url": "https://www.consulat.ma/",
        "source_language": "",
        "delay_days": "",
        "appointment_required": "yes",
        "presence_required": "yes",
        "fee_kind": ["adult", "minor", ""],
        "fee_amount": ["900", str(fees["minor"]["amount_dh"]), ""],
        "fee_checked": ["2026-12-01", fees["minor"]["checked_on"], ""],
    }
    with app.app_context():
        form["fee_kind"][2:2] = [k for k in fees if k not in ("adult", "minor")]
        form["fee_amount"][2:2] = [
            str(fees[k]["amount_dh"]) for k in fees if k not in ("adult", "minor")
        ]
        form["fee_checked"][2:2] = [
            fees[k]["checked_on"] for k in fees if k not in ("adult", "minor")
        ]
    page = f"{EDITOR}/services/passport/facts"
    token = csrf_token(editor, page)
    assert editor.post(page, data={"csrf_token": token, **form}).status_code == 302
    assert client.get("/api/guide/passport?lang=fr").get_json()["fees"] == before
    post_form(editor, f"{page}/publish", {}, page)
    after = {
        f["kind"]: f["amount_dh"]
        for f in client.get("/api/guide/passport?lang=fr").get_json()["fees"]
    }
    assert after["adult"] == 900 and after["minor"] == fees["minor"]["amount_dh"]
    for code in ("ar", "fr", "en"):
        assert published(app, "passport", code).review_state == STALE
    with app.app_context():
        versions = db.session.scalars(
            sa.select(ServiceFacts.version, ServiceFacts.status).where(
                ServiceFacts.service_id == editing.service_by_slug("passport").id
            )
        ).all()
    html = page_of(editor.get(f"{page}/compare?a=1&b=2"))
    assert (
        'data-field="fees"' in html
        and f"adultes : {format_currency(900, 'MAD', locale='fr')}" in html
    )
    bad = editor.post(page, data={"csrf_token": token, **{**form, "delay_days": "soon"}})
    assert bad.status_code == 422 and "delay_days" in page_of(bad)
    assert sorted(versions) == [1, 2]


def facts_form(app, slug: str, **changed: str | list[str]) -> dict[str, str | list[str]]:  # type: ignore[no-untyped-def]
    """Return the facts form as the page fills it in for `slug`, with `changed` fields."""
    with app.app_context():
        values = editing.latest_facts(editing.service_by_slug(slug))
    yes_no = {True: "yes", False: "no", None: ""}
    form: dict[str, str | list[str]] = {
        "facts_form": "1",
        "category": values["category"],
        "position": str(values["position"]),
        "source_url": values["source_url"] or "",
        "source_language": values["source_language"] or "",
        "delay_days": "" if values["delay_days"] is None else str(values["delay_days"]),
        "appointment_required": yes_no[values["appointment_required"]],
        "presence_required": yes_no[values["presence_required"]],
        "fee_kind": [f["kind"] for f in values["fees"]],
        "fee_amount": [str(f["amount_dh"]) for f in values["fees"]],
        "fee_checked": [f["checked_on"] or "" for f in values["fees"]],
    }
    for flag in ("published", "verified"):
        if values[flag]:
            form[flag] = "on"
    return {**form, **changed}


def test_the_facts_comparison_reads_in_the_editors_language(app, guide, log_in):
    editor = log_in("editor", locale="de")
    page = f"{EDITOR}/services/passport/facts"
    form = facts_form(app, "passport", source_language="en", appointment_required="no")
    form["fee_amount"][0] = "1080"  # type: ignore[index]
    form["fee_checked"][0] = "2026-12-01"  # type: ignore[index]
    token = csrf_token(editor, page)
    assert editor.post(page, data={"csrf_token": token, **form}).status_code == 302
    post_form(editor, f"{page}/publish", {}, page)
    published_page = page_of(editor.get(page))
    assert (
        "Arabisch, Deutsch, Englisch, Französisch, Italienisch, Niederländisch und Spanisch"
        in published_page
    )
    html = page_of(editor.get(f"{page}/compare?a=1&b=2"))
    kind = {
        "adult": "Erwachsene",
        "after-loss": "nach Verlust",
        "minor": "Minderjährige",
        "standard": "alle",
    }[form["fee_kind"][0]]  # who pays, in words
    money = format_currency(1080, "MAD", locale="de")
    assert f"{kind}: {money}, geprüft am {format_date(date(2026, 12, 1), locale='de')}" in html
    assert re.search(r'data-field="source_language".*?<ins>Englisch</ins>', html, re.S)
    assert re.search(r'data-field="appointment_required".*?<ins>nein</ins>', html, re.S)
    assert " DH" not in html and "✓" not in html and "✗" not in html
    assert "Von Version" in html and "<label>a " not in html


def test_export_then_import_changes_nothing(app, guide, runner, log_in, tmp_path):
    editor = log_in("editor")
    save(editor, "visa", "fr", summary="Brouillon en cours.")  # a draft travels too
    with app.app_context():
        before_counts = row_counts(app)
        before = transfer.export_guide()
        revision = db.session.scalar(sa.text("SELECT token FROM guide_revision"))
    for name in ("guide.yaml", "guide.json"):
        path = tmp_path / name
        result = runner.invoke(args=["guide", "export", str(path)])
        assert result.exit_code == 0, result.output
        result = runner.invoke(args=["guide", "import", str(path)])
        assert result.exit_code == 0, result.output
        assert "0 text(s) or facts changed" in result.output
    with app.app_context():
        assert row_counts(app) == before_counts
        assert transfer.export_guide() == before
        assert db.session.scalar(sa.text("SELECT token FROM guide_revision")) == revision
    download = editor.get(f"{EDITOR}/file/export")
    assert download.status_code == 200 and "attachment" in download.headers["Content-Disposition"]
    assert yaml.safe_load(download.get_data(as_text=True)) == before


def test_an_imported_change_is_a_draft_unless_published_at_once(app, guide, runner, tmp_path):
    with app.app_context():
        data = transfer.export_guide()
    visa = next(s for s in data["services"] if s["slug"] == "visa")
    visa["texts"]["en"]["summary"] = "Visas are now requested online."
    data["services"].append(
        {
            "slug": "new-service",
            "facts": {**visa["facts"], "position": 9},
            "texts": {"fr": {"title": "Nouveau", "summary": "Un service."}},
        }
    )
    path = tmp_path / "guide.yaml"
    path.write_text(transfer.dump(data), encoding="utf-8")
    result = runner.invoke(args=["guide", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "3 text(s) or facts changed, 0 published, 1 service(s) added" in result.output
    assert published(app, "visa", "en").summary != "Visas are now requested online."
    result = runner.invoke(args=["guide", "import", "--publish", str(path)])
    assert "0 text(s) or facts changed, 3 published" in result.output, result.output
    with app.app_context():
        service = editing.service_by_slug("visa")
        text = editing.published_text(service, "en")
        assert text.summary == "Visas are now requested online."


def _broken(app) -> tuple[str, int, int]:  # type: ignore[no-untyped-def]
    """Return an export with a valid change and two faults; return it with the faults' lines."""
    with app.app_context():
        data = transfer.export_guide()
    data["services"][0]["texts"]["en"]["summary"] = "Changed but never imported."
    data["services"][0]["facts"]["fees"][0]["amount_dh"] = "lots"
    text = data["services"][1]["texts"]["de"]
    text["titel"] = text.pop("title")
    lines = transfer.dump(data).splitlines()
    amount = next(i for i, line in enumerate(lines) if "amount_dh: lots" in line)
    title = next(i for i, line in enumerate(lines) if line.lstrip().startswith("titel:"))
    return "\n".join(lines) + "\n", amount + 1, title + 1


def test_a_broken_file_is_refused_with_its_lines_and_fields_and_nothing_imported(
    app, guide, runner, log_in, tmp_path
):
    text, amount_line, title_line = _broken(app)
    counts = guide_counts(app)
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(args=["guide", "import", str(path)])
    assert result.exit_code == 1
    assert (
        f"line {amount_line}, services[0].facts.fees[0].amount_dh: must be a whole number"
        in result.output
    )
    assert f"line {title_line}, services[1].texts.de.titel: unknown field" in result.output
    assert guide_counts(app) == counts
    editor = log_in("editor", locale="en")
    token = csrf_token(editor, f"{EDITOR}/file")
    import io

    # The whole guide is over werkzeug's 500 KiB threshold: left to the test client, the body
    # goes to a temporary file nothing closes, and its ResourceWarning fails a later test.
    upload = FileStorage(io.BytesIO(text.encode()), filename="guide.yaml")
    boundary, body = encode_multipart({"csrf_token": token, "file": upload})
    response = editor.post(
        f"{EDITOR}/file/import",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code == 422
    html = page_of(response)
    assert "nothing was imported" in html and f"line {amount_line}, services[0].facts" in html
    response = editor.post(
        f"{EDITOR}/file/import",
        data={
            "csrf_token": token,
            "file": (io.BytesIO(b"guide: 1\nservices: [\n  {slug: x"), "g.yaml"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422 and "line 3: the file is not valid YAML" in page_of(response)
    assert guide_counts(app) == counts


def test_the_search_page_gives_what_a_caller_would_get(app, guide, log_in):
    editor = log_in("editor", locale="en")
    html = page_of(editor.get(f"{EDITOR}/search?q=je+dois+renouveler+mon+passeport&lang=fr"))
    assert 'data-kind="clear"' in html
    # Its best term and its likeness to the passport's example questions: over 200 points.
    assert re.search(r'<tr data-slug="passport" class="offered">.*?<td>2\d\d\.\d</td>', html, re.S)
    close = page_of(editor.get(f"{EDITOR}/search?q=une+question+sur+le+passeport&lang=fr"))
    assert 'data-kind="close"' in close
    none = page_of(editor.get(f"{EDITOR}/search?q=quelle+est+la+m%C3%A9t%C3%A9o&lang=fr"))
    assert 'data-kind="none"' in none


def test_phrases_before_an_agent_request_are_listed_most_frequent_first(
    app, guide, log_in, call, open_hours
):
    for _ in range(2):
        phone = call()
        walk_to_main_menu(phone, "en")
        phone.press("1")
        phone.speak("what will the weather be like this weekend")  # no match
        phone.press("0")  # then an agent
    phone = call()
    walk_to_main_menu(phone, "en")
    phone.press("1")
    phone.speak("I need to renew my passport")  # a clear match ...
    phone.press("0")  # ... that did not help
    with app.app_context():
        rows = {
            r.phrase: (r.count, r.agent_requests)
            for r in db.session.scalars(sa.select(UnmatchedPhrase))
        }
    assert rows == {
        "what will the weather be like this weekend": (2, 2),
        "I need to renew my passport": (0, 1),
    }
    html = page_of(log_in("editor").get(f"{EDITOR}/unmatched?lang=en"))
    assert html.index("what will the weather be like this weekend") < html.index(
        "I need to renew my passport"
    )


def test_a_phrase_made_a_synonym_is_found_on_the_next_call(app, guide, log_in, call, open_hours):
    phone = call()
    walk_to_main_menu(phone, "fr")
    phone.press("1")
    phone.speak("notre petit dernier a vu le jour hier")
    with app.app_context():
        found = db.session.scalar(sa.select(UnmatchedPhrase))
        stale_before = editing.published_text(
            editing.service_by_slug("birth-registration"), "fr"
        ).version
    editor = log_in("editor")
    preview = page_of(
        editor.get(f"{EDITOR}/unmatched/{found.id}/synonym?service=birth-registration")
    )
    assert 'id="before" data-kind="none"' in preview and 'id="after" data-kind="clear"' in preview
    unconfirmed = post_form(
        editor,
        f"{EDITOR}/unmatched/{found.id}/synonym",
        {"service": "birth-registration"},
        f"{EDITOR}/unmatched",
    )
    assert unconfirmed.status_code == 200  # shown again, nothing published yet
    assert published(app, "birth-registration", "fr").version == stale_before
    response = post_form(
        editor,
        f"{EDITOR}/unmatched/{found.id}/synonym",
        {"service": "birth-registration", "confirmed": "1"},
        f"{EDITOR}/unmatched",
    )
    assert response.status_code == 302
    assert 'data-phrase="notre petit dernier a vu le jour hier"' not in page_of(
        editor.get(f"{EDITOR}/unmatched")
    )
    text = published(app, "birth-registration", "fr")
    assert (
        text.version == stale_before + 1
        and "notre petit dernier a vu le jour hier" in text.synonyms
    )
    phone = call()
    walk_to_main_menu(phone, "fr")
    phone.press("1")
    turn = phone.speak("notre petit dernier a vu le jour hier")
    with app.test_request_context(), force_locale("fr"):
        assert text.title in turn.text
    assert "guide.synonym" in audit_actions(app)


def unmatched_after_an_agent_request(app, call, code: str, said: str) -> UnmatchedPhrase:  # type: ignore[no-untyped-def]
    """Say `said` in the guide, then ask for an agent: the phrase is listed for the editors."""
    phone = call()
    walk_to_main_menu(phone, code)
    phone.press("1")
    phone.speak(said)
    phone.press("0")
    with app.app_context():
        found = db.session.scalar(sa.select(UnmatchedPhrase).where(UnmatchedPhrase.phrase == said))
        assert found is not None and found.resolved_at is None
        db.session.expunge(found)
        return found


def test_a_phrase_made_an_example_question_is_answered_on_the_next_call(
    app, guide, log_in, call, open_hours
):
    said = "il nonno riceve la pensione marocchina e gli chiedono un foglio ogni anno"
    found = unmatched_after_an_agent_request(app, call, "it", said)
    before = published(app, "life-certificate", "it")
    editor = log_in("editor", locale="en")
    with app.test_request_context(), force_locale("en"):
        title = services.published("life-certificate", "en").text.title
    page = f"{EDITOR}/unmatched/{found.id}/example"
    preview = page_of(editor.get(f"{page}?service=life-certificate"))
    # Today a choice on the keypad; once an example question, the answer at once.
    assert 'id="before" data-kind="close"' in preview
    assert re.search(
        r'id="after" data-kind="clear".*?<li data-slug="life-certificate">', preview, re.S
    )
    assert f"It would become an example question of: {title}" in preview
    unconfirmed = post_form(editor, page, {"service": "life-certificate"}, f"{EDITOR}/unmatched")
    assert unconfirmed.status_code == 200  # the preview again: nothing published yet
    assert published(app, "life-certificate", "it").version == before.version
    assert 'id="confirm-example"' in page_of(unconfirmed)
    confirmed = post_form(
        editor, page, {"service": "life-certificate", "confirmed": "1"}, f"{EDITOR}/unmatched"
    )
    assert confirmed.status_code == 302
    listed = page_of(editor.get(f"{EDITOR}/unmatched"))
    assert f"is now an example question of {title}" in listed
    assert f'data-phrase="{said}"' not in listed
    now = published(app, "life-certificate", "it")
    assert (now.version, now.examples) == (before.version + 1, [*before.examples, said])
    assert (now.synonyms, now.review_state) == (before.synonyms, before.review_state)
    phone = call()
    walk_to_main_menu(phone, "it")
    phone.press("1")
    turn = phone.speak(said)
    assert now.title in turn.text and now.summary.split(".")[0] in turn.text  # read at once
    assert audit_actions(app)[-1] == "guide.example"


def test_an_example_question_kept_in_the_open_draft_survives_its_publication(
    app, guide, log_in, call, open_hours
):
    said = "il nonno riceve la pensione marocchina e gli chiedono un foglio ogni anno"
    found = unmatched_after_an_agent_request(app, call, "it", said)
    editor = log_in("editor", locale="it")
    save(editor, "life-certificate", "it", summary="Per la pensione: un certificato di vita.")
    post_form(
        editor,
        f"{EDITOR}/unmatched/{found.id}/example",
        {"service": "life-certificate", "confirmed": "1"},
        f"{EDITOR}/unmatched",
    )
    publish(editor, "life-certificate", "it")
    now = published(app, "life-certificate", "it")
    assert now.summary == "Per la pensione: un certificato di vita." and said in now.examples


def test_an_example_question_goes_live_as_a_synonym_does_where_a_second_editor_is_required(
    app, guide, log_in, call, open_hours
):
    app.config["GUIDE_SECOND_EDITOR"] = True
    said = "il nonno riceve la pensione marocchina e gli chiedono un foglio ogni anno"
    found = unmatched_after_an_agent_request(app, call, "it", said)
    editor = log_in("editor", locale="en")
    post_form(
        editor,
        f"{EDITOR}/unmatched/{found.id}/example",
        {"service": "life-certificate", "confirmed": "1"},
        f"{EDITOR}/unmatched",
    )
    now = published(app, "life-certificate", "it")
    assert said in now.examples and now.created_by == editor.member.email


def test_a_duplicate_or_overlong_example_question_is_refused_in_the_editors_language(
    app, guide, log_in, call, open_hours
):
    existing = "ogni anno la cnss vuole un foglio che dica che sono ancora in vita"
    duplicate = unmatched_after_an_agent_request(
        app, call, "it", "Ogni anno la CNSS vuole un foglio che dica che sono ancora in vita"
    )
    rambling = (
        "buongiorno allora io vi chiamo perché mio nonno che vive qui a torino da quarant'anni "
        "riceve la pensione marocchina e ogni anno gli chiedono un foglio"
    )
    overlong = unmatched_after_an_agent_request(app, call, "it", rambling)
    assert len(rambling) > editing.LIMITS["term"]
    before = published(app, "life-certificate", "it")
    counts = guide_counts(app)
    editor = log_in("editor", locale="fr")
    for found, message in (
        (duplicate, f"Ce service a déjà cet exemple de question : « {isolated(existing)} »"),
        (overlong, "Cette phrase est trop longue pour devenir un exemple de question"),
    ):
        page = f"{EDITOR}/unmatched/{found.id}/example"
        preview = editor.get(f"{page}?service=life-certificate")
        assert preview.status_code == 302  # no preview of what cannot be published
        assert message in page_of(editor.get(preview.headers["Location"]))
        posted = post_form(
            editor, page, {"service": "life-certificate", "confirmed": "1"}, f"{EDITOR}/unmatched"
        )
        listed = page_of(editor.get(posted.headers["Location"]))
        assert message in listed and f'data-phrase="{found.phrase}"' in listed  # still to do
    assert published(app, "life-certificate", "it").examples == before.examples
    assert guide_counts(app) == counts


def test_a_new_service_starts_unpublished(app, guide, log_in, client):
    editor = log_in("editor")
    response = post_form(
        editor,
        f"{EDITOR}/services",
        {"slug": "pension-certificate", "category": "identity-and-travel"},
        f"{EDITOR}/",
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/facts")
    save(editor, "pension-certificate", "fr", title="Certificat de vie", summary="Pour la pension.")
    publish(editor, "pension-certificate", "fr")
    assert client.get("/api/guide/pension-certificate?lang=fr").status_code == 404  # not offered
    refused = post_form(
        editor, f"{EDITOR}/services", {"slug": "Bad Slug", "category": "x"}, f"{EDITOR}/"
    )
    assert refused.status_code == 302
    with app.app_context():
        assert editing.service_by_slug("Bad Slug") is None
        assert (
            editing.published_text(editing.service_by_slug("pension-certificate"), "fr").status
            == PUBLISHED
        )


@pytest.mark.parametrize("locale", ["ar", "de"])
def test_the_workspace_speaks_the_editors_language(app, guide, log_in, locale):
    editor = log_in("editor", locale=locale)
    html = page_of(editor.get(f"{EDITOR}/services/passport/{locale}"))
    with app.test_request_context(), force_locale(locale):
        from flask_babel import gettext

        assert gettext("What the phone will say") in html
    assert ('dir="rtl"' in html) == (locale == "ar")


def test_the_unmatched_page_proposes_a_service_only_when_the_search_would(
    app, guide, log_in, call, open_hours
):
    for said in (
        "bonjour",
        "je veux changer mon nom",
        "ma carte d'identité consulaire est périmée",
    ):
        phone = call()
        walk_to_main_menu(phone, "fr")
        phone.press("1")
        phone.speak(said)
        phone.press("0")  # not helped: the phrase is counted for the editors
    html = page_of(log_in("editor").get(f"{EDITOR}/unmatched?lang=fr"))
    rows = {
        unescape(m.group(1)): m.group(2)
        for m in re.finditer(
            r'<tr data-phrase="([^"]+)">.*?<option value="([^"]*)" selected', html, re.S
        )
    }
    assert rows["bonjour"] == ""  # no "bonjour" -> visa
    assert rows["je veux changer mon nom"] in ("", "civil-status-correction")  # never a licence
    with app.app_context():
        outcome = search.verdict(search.search("ma carte d'identité consulaire est périmée", "fr"))
    assert rows["ma carte d'identité consulaire est périmée"] == (
        outcome.matches[0].slug if outcome.kind != "none" else ""
    )
    with app.app_context():  # services named in the editor's language (French here)
        title = services.published("birth-registration", "fr").text.title
    assert "Choisissez un service" in html and title in html


def test_a_centre_can_require_a_second_editor_to_publish(app, guide, log_in):
    app.config["GUIDE_SECOND_EDITOR"] = True
    author, checker = log_in("editor", locale="en"), log_in("editor", locale="en")
    save(author, "visa", "en", summary="Foreigners may need a visa.")
    refused = publish(author, "visa", "en")
    assert refused.status_code == 302
    page = page_of(author.get(f"{EDITOR}/services/visa/en"))
    assert "Another editor must check and publish this draft" in page
    assert published(app, "visa", "en").version == 1  # callers: unchanged
    publish(checker, "visa", "en")
    now = published(app, "visa", "en")
    assert (now.version, now.summary) == (2, "Foreigners may need a visa.")
    assert now.reviewed_by == checker.member.email
    post_form(
        author,
        f"{EDITOR}/services/visa/facts",
        {
            "facts_form": "1",
            "category": "foreigners",
            "position": "5",
            "published": "on",
            "source_url": "https://www.consulat.ma/",
            "appointment_required": "",
            "presence_required": "",
        },
    )
    publish_facts = f"{EDITOR}/services/visa/facts/publish"
    post_form(author, publish_facts, {}, f"{EDITOR}/services/visa/facts")
    with app.app_context():
        assert editing.service_by_slug("visa").position != 5  # the author alone: refused
    post_form(checker, publish_facts, {}, f"{EDITOR}/services/visa/facts")
    with app.app_context():
        assert editing.service_by_slug("visa").position == 5
