"""Editors in real headless Chromium: edit, preview, listen, publish, restore, stale marks, synonyms."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from helpers import walk_to_main_menu
from playwright.sync_api import expect

from centre.extensions import db
from ivr.models import Call
from knowledge import search, services

pytestmark = pytest.mark.browser
EDITOR = "/guide/editor"
# The browser's speech synthesis, recorded instead of spoken (headless Chromium has no voices).
FAKE_SPEECH = """
window.__spoken = [];
Object.defineProperty(window, "speechSynthesis", { configurable: true, get: function () {
  return { speak: function (u) { window.__spoken.push({ text: u.text, lang: u.lang }); },
           cancel: function () {}, getVoices: function () { return []; } };
} });
"""


def log_in_page(page, base: str, email: str, password: str, path: str) -> None:  # type: ignore[no-untyped-def]
    """Open a workspace page, log in on the form it sends to, and land back on it."""
    page.goto(f"{base}{path}")
    assert "/staff/login" in page.url
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.locator("form.stacked button[type=submit]").click()
    page.wait_for_url(f"{base}{path}")


def heard(app, call, code: str, phrase: str) -> str:  # type: ignore[no-untyped-def]
    """Call, open the guide in `code`, say `phrase`; return what the caller hears."""
    phone = call()
    walk_to_main_menu(phone, code)
    phone.press("1")
    return phone.speak(phrase).text


DIALOGS: list[str] = []


@pytest.fixture
def editor_page(live_server, page, make_user):  # type: ignore[no-untyped-def]
    """Return a page logged in as an editor working in English, on the passport's English text."""
    editor = make_user("editor", locale="en")
    errors: list[str] = []
    page.on(
        "console",
        lambda m: (
            m.type == "error" and "Failed to load resource" not in m.text and errors.append(m.text)
        ),
    )
    page.on(
        "response",
        lambda r: (
            r.status >= 400
            and not r.url.endswith("/favicon.ico")
            and errors.append(f"{r.status} {r.url}")
        ),
    )
    page.add_init_script(FAKE_SPEECH)
    DIALOGS.clear()  # every publish asks first: the editor says yes, the question is kept
    page.on("dialog", lambda d: (DIALOGS.append(d.message), d.accept()))
    log_in_page(page, live_server, editor.email, editor.password, f"{EDITOR}/services/passport/en")
    yield page
    assert not errors, errors  # no script refused by the CSP, no error


def test_an_editor_edits_previews_listens_publishes_and_restores(
    app, guide, open_hours, live_server, editor_page, call
):
    page = editor_page
    original = heard(app, call, "en", "I need to renew my passport")
    # Side by side: the source language (French) beside the English being edited.
    assert (
        "Passeport biométrique"
        in page.locator("table.side-by-side td.reference").first.inner_text()
    )
    summary = page.locator("#field-summary")
    summary.fill("Your passport is valid five years. Renew it in good time before it expires.")
    assert page.locator('output[for="field-summary"]').inner_text().startswith("≈ ")
    page.locator("#save").click()
    assert "Draft saved (version 2)" in page.locator("p.notice").inner_text()
    preview = page.locator("#preview")
    assert "Your passport is valid five years." in preview.locator("p.spoken").first.inner_text()
    assert "To hear this again, press 1." in preview.inner_text()
    assert "s, in 5 parts" in preview.inner_text()
    # Callers still hear the published text while the draft waits.
    assert "Your passport is valid five years." not in heard(app, call, "en", "renew my passport")
    page.get_by_role("button", name="Listen").click()
    spoken = page.evaluate("window.__spoken")
    assert spoken[-1]["lang"] == "en-GB"
    assert spoken[-1]["text"].startswith("Biometric passport. Your passport is valid five years.")
    page.locator("#publish").click()
    assert "Published" in page.locator("p.notice").inner_text()
    assert DIALOGS == ["Publish version 2? Callers hear it from the next call."]
    assert "Your passport is valid five years." in heard(app, call, "en", "renew my passport")
    # Compare the two versions, then restore the first one.
    page.locator('input[name=a][value="1"]').check()
    page.locator('input[name=b][value="2"]').check()
    with page.expect_navigation():  # the comparison is a page of its own: wait until it loads
        page.get_by_role("button", name="Compare the two chosen versions").click()
    change = page.locator('section.change[data-field="summary"]')
    assert "Renew" in change.locator("ins").all_inner_texts()
    page.get_by_role("link", name="Back to the editor").click()
    page.locator('tr[data-version="1"] button.restore').click()
    assert "Version restored into the draft (version 3)" in page.locator("p.notice").inner_text()
    page.locator("#publish").click()
    assert page.locator('tr[data-version="3"]').inner_text().startswith("3")
    again = heard(app, call, "en", "I need to renew my passport")
    assert again == original


def test_a_stale_marker_appears_when_the_source_changes_and_clears_on_review(
    app, guide, live_server, editor_page
):
    page = editor_page
    page.goto(f"{live_server}{EDITOR}/services/visa/fr")
    page.locator("#field-summary").fill(
        "Le visa se demande désormais en ligne, sur le portail officiel."
    )
    page.locator("#save").click()
    page.locator("#publish").click()
    assert (
        "Marked stale until reviewed: Arabic, Dutch, English, German, Italian, and Spanish."
        in page.locator("p.notice").inner_text()
    )
    page.get_by_role("link", name="Translation status").click()
    cell = page.locator('tr[data-slug="visa"] td[data-language="en"]')
    assert cell.get_attribute("data-state") == "stale"
    cell.locator("a").click()
    assert page.locator("#review-state").inner_text() == "stale"
    expect(page.locator(".stale-banner")).to_be_visible()
    page.get_by_role("button", name="Reviewed, still correct").click()
    assert page.locator("#review-state").inner_text() == "current"
    expect(page.locator(".stale-banner")).to_have_count(0)
    page.get_by_role("link", name="Translation status").click()
    assert (
        page.locator('tr[data-slug="visa"] td[data-language="en"]').get_attribute("data-state")
        == "current"
    )
    assert (
        page.locator('tr[data-slug="visa"] td[data-language="de"]').get_attribute("data-state")
        == "stale"
    )


def test_an_unmatched_phrase_becomes_a_synonym_that_the_next_call_finds(
    app, guide, open_hours, live_server, editor_page, call
):
    phrase = "notre petit dernier a vu le jour hier"
    with app.test_request_context(), force_locale("fr"):
        sorry = "Désolé, je n'ai pas trouvé cela dans le guide."
        assert sorry in heard(app, call, "fr", phrase)
        title = services.published("birth-registration", "fr").text.title
    with app.test_request_context(), force_locale("en"):
        english = services.published("birth-registration", "en").text.title
    page = editor_page
    page.get_by_role("link", name="Unmatched phrases").click()
    row = page.locator(f'tr[data-phrase="{phrase}"]')
    assert row.locator("td").nth(2).inner_text() == "1"
    assert row.locator("select[name=service]").input_value() == ""  # the search offers nothing
    row.locator("select[name=service]").select_option(label=english)  # named in English
    row.get_by_role("button", name="As a synonym").click()
    assert page.locator("#before").get_attribute("data-kind") == "none"
    assert page.locator("#after").get_attribute("data-kind") == "clear"
    assert page.locator("#after li").first.inner_text() == english
    page.get_by_role("button", name="Publish this synonym").click()
    assert f"is now a synonym of {english}" in page.locator("p.notice").inner_text()
    expect(page.locator(f'tr[data-phrase="{phrase}"]')).to_have_count(0)
    answer = heard(app, call, "fr", phrase)
    assert title in answer and sorry not in answer
    page.get_by_role("link", name="Try a phrase").click()
    page.fill("input[name=q]", phrase)
    page.select_option("select[name=lang]", "fr")
    page.get_by_role("button", name="Search").click()
    assert page.locator("#verdict").get_attribute("data-kind") == "clear"
    assert (
        page.locator("table.matches tr.offered").get_attribute("data-slug") == "birth-registration"
    )


@pytest.mark.parametrize(
    ("code", "situation", "caller"),
    [
        (
            "fr",
            "ma tante est partie à l'hôpital de nantes et la famille veut l'enterrer au douar",
            "ma tante est partie à l'hôpital de rennes et la famille veut l'enterrer au douar",
        ),
        (
            "ar",
            "خالتي مشات عند الله فسبيطار نانت والعائلة بغات تنقلها للبلاد تدفنها فالدوار",
            "خالتي مشات عند الله فسبيطار رين والعائلة بغات تنقلها للبلاد تدفنها فالدوار",
        ),
    ],
)
def test_an_editor_adds_an_example_question_that_brings_the_next_caller_nearer(
    app, guide, open_hours, live_server, page, make_user, call, screenshots, code, situation, caller
):
    editor = make_user("editor", locale=code)
    path = f"{EDITOR}/services/repatriation-of-remains/{code}"
    DIALOGS.clear()
    page.on("dialog", lambda d: (DIALOGS.append(d.message), d.accept()))
    with app.app_context():
        before = score_of(caller, code)
    log_in_page(page, live_server, editor.email, editor.password, path)
    examples = page.locator("#field-examples")
    assert examples.input_value().count("\n") >= 7  # the seed's, one per line
    examples.fill(examples.input_value() + "\n" + situation)
    page.locator("#save").click()
    page.locator("#field-examples").screenshot(
        path=str(screenshots / f"editor-examples-{code}.png")
    )
    page.locator("#publish").click()
    with app.app_context():
        assert services.published("repatriation-of-remains", code).text.examples[-1] == situation
        assert score_of(caller, code) >= before + 8  # published: the next call finds it nearer
    heard(app, call, code, caller)
    with app.app_context():
        step = db.session.scalars(sa.select(Call).order_by(Call.id.desc())).first().context
    assert "repatriation-of-remains" in (step.get("guide_choices") or [step.get("guide_slug")])


def score_of(phrase: str, code: str) -> float:
    """Return the repatriation of remains' score for `phrase`, or 0 outside the three found."""
    found = {m.slug: m.score for m in search.search(phrase, code)}
    return found.get("repatriation-of-remains", 0.0)
